/*
 * mdrquery.c - standalone query tool: the same as `mdrprobe query`.
 */
#include "query.h"

int main(int argc, char **argv)
{
	return mdr_query_main(argc, argv);
}
