/*
 * Ways for a process to end, for exitsnoop-k8s and sigsnoop-k8s tests (built static, run in containers too):
 *   crash segv          write through a NULL pointer (SIGSEGV, fault address 0)
 *   crash abort         abort() (SIGABRT sent to itself)
 *   crash threads N C   start N threads that exit one by one, then exit with code C
 *   crash wait          wait for signals: each SIGUSR1 starts a thread that ends at once (SIGTERM ends it)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
	usleep(1000 * (long)arg);
	return NULL;
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "segv")) {
		*(volatile int *)0 = 1;
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "abort"))
		abort();
	if (argc >= 4 && !strcmp(argv[1], "threads")) {
		int n = atoi(argv[2]);
		pthread_t t[64];
		for (long i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, thread_main, (void *)(10 * (i + 1)));
		for (long i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		return atoi(argv[3]);
	}
	if (argc >= 2 && !strcmp(argv[1], "wait")) {
		signal(SIGUSR1, on_usr1);
		for (;;) {
			pause();
			if (usr1) {
				pthread_t t;
				usr1 = 0;
				pthread_create(&t, NULL, thread_main, NULL);
				pthread_join(t, NULL);
			}
		}
	}
	fprintf(stderr, "usage: crash segv|abort|threads N CODE|wait\n");
	return 2;
}
