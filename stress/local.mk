# stress/local.mk - included by Makefile.am; owned by the stress area.
