// Linux calls that Glibc does not export to Swift (epoll, eventfd, accept4, which needs
// _GNU_SOURCE) and socket set-up that is long-winded with sockaddr structures in Swift. The
// wrappers take plain integers and strings so that Swift code needs no packed structs.
#ifndef HOOKWIRE_CLINUXSHIM_H
#define HOOKWIRE_CLINUXSHIM_H

#include <stdint.h>

/// One readiness event: the descriptor's 64-bit user data and its epoll event bits.
typedef struct hw_epoll_event {
    uint64_t data;
    uint32_t events;
} hw_epoll_event;

extern const uint32_t HW_EPOLLIN;
extern const uint32_t HW_EPOLLOUT;
extern const uint32_t HW_EPOLLERR;
extern const uint32_t HW_EPOLLHUP;
extern const uint32_t HW_EPOLLRDHUP;
extern const uint32_t HW_EPOLLET;
extern const uint32_t HW_EPOLLONESHOT;

/// Creates an epoll instance with EPOLL_CLOEXEC. Returns the descriptor or -1 with errno set.
int hw_epoll_create(void);
/// Adds, modifies or removes a descriptor (op is 1 add, 2 delete, 3 modify, as EPOLL_CTL_*).
int hw_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for events and copies them into `events`. Returns the count or -1 with errno set.
int hw_epoll_wait(int epfd, hw_epoll_event *events, int max_events, int timeout_ms);

/// Creates a non-blocking, close-on-exec eventfd. Returns the descriptor or -1.
int hw_eventfd_create(void);
/// Adds 1 to an eventfd counter to wake its reader.
int hw_eventfd_signal(int fd);
/// Reads and resets an eventfd counter.
int hw_eventfd_drain(int fd);

/// Accepts a connection as non-blocking and close-on-exec. Returns the descriptor or -1.
int hw_accept4(int listen_fd);

/// Sends with MSG_NOSIGNAL so that a closed peer gives EPIPE instead of SIGPIPE.
long hw_send_nosignal(int fd, const void *buffer, unsigned long length);

/// Creates a non-blocking, close-on-exec TCP socket listening on `host` (a numeric IPv4 or IPv6
/// address or a name such as `localhost`) and `port` (0 picks a free port), with SO_REUSEADDR
/// and, when `reuse_port` is nonzero, SO_REUSEPORT. On success returns the descriptor and
/// stores the bound port in `*bound_port`. On failure returns -1 with errno set, or -2 when the
/// host does not resolve.
int hw_tcp_listen(const char *host, int port, int reuse_port, int backlog, int *bound_port);

/// Connects a blocking, close-on-exec TCP socket to `host` and `port` and sets TCP_NODELAY.
/// Returns the descriptor, -1 with errno set, or -2 when the host does not resolve.
int hw_tcp_connect(const char *host, int port);

/// Sets TCP_NODELAY on a TCP socket. Returns 0 or -1 with errno set.
int hw_set_nodelay(int fd);

/// Sets or clears O_NONBLOCK. Returns 0 or -1 with errno set.
int hw_set_nonblocking(int fd, int nonblocking);

/// Returns 1 when the socket's peer is a loopback address (127.0.0.0/8, ::1 or an IPv4-mapped
/// loopback address), 0 when it is not, -1 when the peer address cannot be read.
int hw_peer_is_loopback(int fd);

/// Writes the peer's address as `host:port` (IPv6 in brackets) into `buffer`, NUL-terminated.
/// Returns 0, or -1 when the address cannot be read.
int hw_peer_address(int fd, char *buffer, unsigned long capacity);

#endif
