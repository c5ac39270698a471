/* Keeps python/serve.py's TensorFlow server on loopback: serve.py compiles this file and
 * preloads it (LD_PRELOAD) unless it is given --all-interfaces.
 *
 * TensorFlow's gRPC server always listens on every interface ("0.0.0.0:PORT", which gRPC
 * binds as the dual-stack [::]:PORT), whatever address the cluster gives it. This wraps
 * bind(2): a wildcard address becomes 127.0.0.1 (or ::ffff:127.0.0.1 on a dual-stack IPv6
 * socket, which then accepts IPv4 connections to 127.0.0.1 only). Other addresses pass through.
 * serve.py checks the result in /proc/net/tcp and /proc/net/tcp6 once the server is up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    static bind_fn real_bind;
    if (!real_bind) {
        real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    }
    if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in copy;
        memcpy(&copy, addr, sizeof copy);
        if (copy.sin_addr.s_addr == htonl(INADDR_ANY)) {
            copy.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(fd, (const struct sockaddr *)&copy, sizeof copy);
        }
    } else if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 copy;
        memcpy(&copy, addr, sizeof copy);
        if (memcmp(&copy.sin6_addr, &in6addr_any, sizeof in6addr_any) == 0) {
            /* ::ffff:127.0.0.1 */
            memset(&copy.sin6_addr, 0, sizeof copy.sin6_addr);
            copy.sin6_addr.s6_addr[10] = 0xff;
            copy.sin6_addr.s6_addr[11] = 0xff;
            copy.sin6_addr.s6_addr[12] = 127;
            copy.sin6_addr.s6_addr[15] = 1;
            return real_bind(fd, (const struct sockaddr *)&copy, sizeof copy);
        }
    }
    return real_bind(fd, addr, len);
}
