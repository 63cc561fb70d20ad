/* Load an object and attach every program it has (the bench's empty raw_tp pair); print "attached", then wait
 * for SIGINT or SIGTERM. Usage: rawtp OBJECT.o */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void stop(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = argc > 1 ? bpf_object__open_file(argv[1], NULL) : NULL;
	struct bpf_program *p;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "rawtp: cannot load %s\n", argc > 1 ? argv[1] : "(no object)");
		return 1;
	}
	bpf_object__for_each_program (p, obj)
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "rawtp: cannot attach %s\n", bpf_program__name(p));
			return 1;
		}
	signal(SIGINT, stop);
	signal(SIGTERM, stop);
	printf("attached\n");
	fflush(stdout);
	while (!done)
		pause();
	return 0;
}
