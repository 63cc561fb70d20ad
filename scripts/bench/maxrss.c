/* maxrss COMMAND...: run COMMAND and print its peak RSS in KiB ("maxrss_kb=N") on stderr.
 * The kernel keeps a process's peak across exec, so the peak of a child forked from a big process (the
 * benchmark's Python) would be the parent's: this small static program forks it instead. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: maxrss COMMAND [ARG]...\n");
		return 2;
	}
	if ((pid = fork()) == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss");
		return 2;
	}
	fprintf(stderr, "maxrss_kb=%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
