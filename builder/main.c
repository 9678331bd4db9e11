/*
 * slipway-build: one build, as slipwayd's job runs it, from the command line.
 *
 *	slipway-build --repo R --commit SHA --app A --registry HOST:PORT
 *	              [--user U --password P] [--object-dir D] [--alternates D1:D2]
 *
 * Report lines go to stdout as they happen; a failure ends with one " !     reason"
 * line and exit status 1. SIGINT/SIGTERM cancel the build (Docker stops it too).
 * Docker is DOCKER_HOST (default unix:///var/run/docker.sock).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "builder/build.h"
#include "common/error.h"
#include "common/http.h"
#include "common/banned.h"

static struct sw_cancel cancelled;

static void on_signal(int sig)
{
	sw_cancel_raise(&cancelled, SW_CANCEL_STOP, NULL);   /* lock-free: fine in a handler */
}

static int print_line(void *ctx, const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: slipway-build --repo R --commit SHA --app A --registry HOST:PORT\n"
			"                     [--user U --password P] [--object-dir D] [--alternates D1:D2]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "commit", required_argument, NULL, 'c' },
		{ "app", required_argument, NULL, 'a' },
		{ "registry", required_argument, NULL, 'g' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "object-dir", required_argument, NULL, 'o' },
		{ "alternates", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sw_build_opts opts = { 0 };
	struct sw_build_result res = SW_BUILD_RESULT_INIT;
	struct sigaction sa;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': opts.repo_path = optarg; break;
		case 'c': opts.commit = optarg; break;
		case 'a': opts.app = optarg; break;
		case 'g': opts.registry = optarg; break;
		case 'u': opts.registry_user = optarg; break;
		case 'p': opts.registry_password = optarg; break;
		case 'o': opts.object_dir = optarg; break;
		case 'l': opts.alternate_dirs = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc || !opts.repo_path || !opts.commit || !opts.app || !opts.registry) {
		usage();
		return 2;
	}
	if (sw_http_global_init() < 0) {
		printf(" !     %s\n", sw_error_last());
		return 1;
	}
	sw_cancel_init(&cancelled);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	opts.report = print_line;
	opts.cancel = &cancelled;
	if (sw_build_run(&opts, &res) < 0) {
		printf(" !     %s\n", sw_error_last());
		return 1;
	}
	fprintf(stderr, "image %s\ndigest %s\nsize %lld\nreused %d\n", res.image, res.digest, res.size, res.reused);
	sw_build_result_release(&res);
	return 0;
}
