/*
 * The pod sandbox's first process, written for the pharos testbed (the image
 * the mirror serves as registry.k8s.io/pause). It holds the pod's namespaces
 * while the pod lives, reaps the orphans a shared PID namespace hands it, and
 * ends with status 0 when the runtime stops the sandbox.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#ifndef PAUSE_VERSION
#error "build with -DPAUSE_VERSION='\"x.y.z\"'"
#endif

int main(int argc, char **argv)
{
        sigset_t wanted;

        if (argc == 2 && strcmp(argv[1], "-v") == 0) {
                printf("pharos pause %s\n", PAUSE_VERSION);
                return 0;
        }
        /*
         * As PID 1 of a namespace, a signal left at its default action is
         * dropped; a blocked one stays pending, so sigwaitinfo() sees it.
         */
        sigemptyset(&wanted);
        sigaddset(&wanted, SIGINT);
        sigaddset(&wanted, SIGTERM);
        sigaddset(&wanted, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &wanted, NULL) != 0) {
                perror("pause: sigprocmask");
                return 1;
        }
        for (;;) {
                int sig = sigwaitinfo(&wanted, NULL);

                if (sig == SIGINT || sig == SIGTERM)
                        return 0;
                /* One SIGCHLD may stand for several children that ended. */
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
}
