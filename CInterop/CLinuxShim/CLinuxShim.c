#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

const uint32_t HW_EPOLLIN = EPOLLIN;
const uint32_t HW_EPOLLOUT = EPOLLOUT;
const uint32_t HW_EPOLLERR = EPOLLERR;
const uint32_t HW_EPOLLHUP = EPOLLHUP;
const uint32_t HW_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t HW_EPOLLET = EPOLLET;
const uint32_t HW_EPOLLONESHOT = EPOLLONESHOT;

int hw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int hw_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int hw_epoll_wait(int epfd, hw_epoll_event *events, int max_events, int timeout_ms) {
    struct epoll_event raw[256];
    if (max_events > 256) max_events = 256;
    int count = epoll_wait(epfd, raw, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].data = raw[i].data.u64;
        events[i].events = raw[i].events;
    }
    return count;
}

int hw_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int hw_eventfd_signal(int fd) {
    uint64_t one = 1;
    return write(fd, &one, sizeof one) == sizeof one ? 0 : -1;
}

int hw_eventfd_drain(int fd) {
    uint64_t value;
    return read(fd, &value, sizeof value) == sizeof value ? 0 : -1;
}

int hw_accept4(int listen_fd) {
    return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

long hw_send_nosignal(int fd, const void *buffer, unsigned long length) {
    return send(fd, buffer, length, MSG_NOSIGNAL);
}
