/*
 * powerloss.c: an LD_PRELOAD shim that records what a power cut could not take away.
 *
 * Part of Parley's durability harness (tests/reliability/harness.py); test code only.
 *
 * Every fsync() or fdatasync() on a regular file under $PARLEY_POWERLOSS_DIR copies the
 * file's whole content to "<file>.durable" once the real call has returned. Data that was
 * never followed by an fsync has no such copy. After the server is killed, the harness
 * replaces each database file with its .durable copy (and deletes files that were never
 * synced): the disk as it would be after a power cut that dropped every page the program had
 * not forced out. That is the worst case POSIX allows, which is the one to test against.
 *
 * Copies are taken under an flock so that two processes syncing the same file cannot leave
 * an older copy in place of a newer one. Directory syncs are ignored (see docs/reliability.md).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static void keep_durable_copy(int fd) {
    const char *watch = getenv("PARLEY_POWERLOSS_DIR");
    if (watch == NULL || *watch == '\0') {
        return;
    }
    char link[64];
    char path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) {
        return;
    }
    path[n] = '\0';
    if (strncmp(path, watch, strlen(watch)) != 0 || strstr(path, ".durable") != NULL) {
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return;
    }
    char lock_path[PATH_MAX + 32];
    char tmp_path[PATH_MAX + 64];
    char durable_path[PATH_MAX + 32];
    snprintf(lock_path, sizeof lock_path, "%s.durable-lock", path);
    snprintf(tmp_path, sizeof tmp_path, "%s.durable-tmp-%d", path, (int)getpid());
    snprintf(durable_path, sizeof durable_path, "%s.durable", path);

    int lock = open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0) {
        return;
    }
    flock(lock, LOCK_EX);
    int out = open(tmp_path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (out >= 0) {
        char buffer[1 << 16];
        off_t offset = 0;
        int ok = 1;
        for (;;) {
            ssize_t got = pread(fd, buffer, sizeof buffer, offset);
            if (got < 0) {
                ok = 0;
                break;
            }
            if (got == 0) {
                break;
            }
            ssize_t done = 0;
            while (done < got) {
                ssize_t w = write(out, buffer + done, (size_t)(got - done));
                if (w <= 0) {
                    ok = 0;
                    break;
                }
                done += w;
            }
            if (!ok) {
                break;
            }
            offset += got;
        }
        close(out);
        if (ok) {
            rename(tmp_path, durable_path);
        } else {
            unlink(tmp_path);
        }
    }
    flock(lock, LOCK_UN);
    close(lock);
}

int fsync(int fd) {
    if (real_fsync == NULL) {
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    }
    int result = real_fsync(fd);
    if (result == 0) {
        keep_durable_copy(fd);
    }
    return result;
}

int fdatasync(int fd) {
    if (real_fdatasync == NULL) {
        real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    }
    int result = real_fdatasync(fd);
    if (result == 0) {
        keep_durable_copy(fd);
    }
    return result;
}
