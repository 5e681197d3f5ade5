# lin/local.mk - included by Makefile.am; owned by the lin area.
