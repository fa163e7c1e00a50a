// Linux calls that Glibc does not export to Swift: epoll, eventfd and accept4 (which needs
// _GNU_SOURCE). The wrappers take plain integers so that Swift code needs no packed structs.
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

#endif
