/* Built by .ci/run against the installed achan via `pkg-config achan`. */
#include <achan.h>
#include <stdio.h>

int main(void)
{
	struct achan_chan *ch;
	long in = 42, out = 0;

	if (achan_chan_create(&ch, sizeof in, 4, 0) != ACHAN_OK)
		return 1;
	if (achan_chan_send(ch, &in) != ACHAN_OK ||
	    achan_chan_recv(ch, &out) != ACHAN_OK || out != in)
		return 1;
	if (achan_chan_destroy(ch) != ACHAN_OK)
		return 1;
	printf("pkgconfig smoke: %s\n", achan_strerror(ACHAN_OK));
	return 0;
}
