/*
 * A webhook receiver in C that verifies every Hookwire delivery with hw_verify() from
 * libhookwire and prints one line per request.
 *
 *     receiver PORT SECRET [COUNT]
 *
 * It listens on 127.0.0.1:PORT, responds 204 to a delivery that verifies and 401 to one that
 * does not, and exits after COUNT requests (default: never). The HTTP parsing is deliberately
 * small: one request per connection, headers up to 16 KiB, a Content-Length body up to 1 MiB.
 */
#define _POSIX_C_SOURCE 200809L

#include <hookwire.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_HEADER_BYTES = 16 * 1024, MAX_BODY_BYTES = 1024 * 1024, MAX_HEADERS = 64 };

/* One received request: the header block is split in place, so names and values point into it. */
typedef struct request {
    char head[MAX_HEADER_BYTES + 1];
    hw_header headers[MAX_HEADERS];
    size_t header_count;
    uint8_t *body;
    size_t body_length;
} request;

/* Reads up to the end of the header block. Returns the count of body bytes read past it, or -1. */
static long read_head(int fd, request *req, char *extra, size_t extra_size, size_t *extra_length) {
    size_t used = 0;
    for (;;) {
        if (used == MAX_HEADER_BYTES) return -1;
        ssize_t n = read(fd, req->head + used, MAX_HEADER_BYTES - used);
        if (n <= 0) return -1;
        used += (size_t)n;
        req->head[used] = '\0';
        char *end = strstr(req->head, "\r\n\r\n");
        if (end != NULL) {
            size_t head_length = (size_t)(end - req->head) + 4;
            size_t rest = used - head_length;
            if (rest > extra_size) return -1;
            memcpy(extra, req->head + head_length, rest);
            *extra_length = rest;
            *end = '\0';
            return (long)rest;
        }
    }
}

/* Splits "Name: value" lines after the request line into req->headers. */
static int parse_headers(request *req, size_t *content_length) {
    char *line = strstr(req->head, "\r\n");
    *content_length = 0;
    req->header_count = 0;
    while (line != NULL) {
        *line = '\0';
        line += 2;
        char *next = strstr(line, "\r\n");
        char *colon = strchr(line, ':');
        if (colon == NULL || req->header_count == MAX_HEADERS) return -1;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t') value++;
        if (next != NULL) *next = '\0';
        req->headers[req->header_count].name = line;
        req->headers[req->header_count].value = value;
        req->header_count++;
        if (strcasecmp(line, "Content-Length") == 0) *content_length = strtoul(value, NULL, 10);
        if (next != NULL) *next = '\r';
        line = next;
    }
    return 0;
}

static const char *header_value(const request *req, const char *name) {
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    }
    return "";
}

static void respond(int fd, int status) {
    char response[128];
    const char *reason = "Bad Request";
    if (status == 204) reason = "No Content";
    if (status == 401) reason = "Unauthorized";
    int length = snprintf(response, sizeof response, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                          status, reason);
    if (send(fd, response, (size_t)length, MSG_NOSIGNAL) < 0) perror("receiver: send");
}

/* Reads one request from fd, verifies it and responds. */
static void serve(int fd, const char *secret) {
    static request req;
    static char extra[MAX_HEADER_BYTES];
    size_t extra_length = 0;
    size_t content_length = 0;

    if (read_head(fd, &req, extra, sizeof extra, &extra_length) < 0 || parse_headers(&req, &content_length) < 0 ||
        content_length > MAX_BODY_BYTES || extra_length > content_length) {
        printf("malformed request\n");
        respond(fd, 400);
        return;
    }
    req.body = malloc(content_length + 1);
    if (req.body == NULL) {
        respond(fd, 400);
        return;
    }
    memcpy(req.body, extra, extra_length);
    req.body_length = extra_length;
    while (req.body_length < content_length) {
        ssize_t n = read(fd, req.body + req.body_length, content_length - req.body_length);
        if (n <= 0) break;
        req.body_length += (size_t)n;
    }

    hw_verify_failure failure = HW_VERIFY_OK;
    char *reason = NULL;
    hw_status status = hw_verify(secret, req.headers, req.header_count, req.body, req.body_length, NULL, &failure,
                                 &reason);
    if (status == HW_OK) {
        printf("%s id=%s retry=%s verified\n", header_value(&req, "X-Hookwire-Event"), header_value(&req, "webhook-id"),
               header_value(&req, "X-Hookwire-Retry"));
        respond(fd, 204);
    } else {
        printf("%s REJECTED (%s)\n", header_value(&req, "X-Hookwire-Event"),
               reason != NULL ? reason : hw_status_message(status));
        respond(fd, 401);
    }
    fflush(stdout);
    hw_free(reason);
    free(req.body);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SECRET [COUNT]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *secret = argv[2];
    long remaining = argc > 3 ? atol(argv[3]) : -1;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("receiver: socket");
        return 1;
    }
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 64) < 0) {
        fprintf(stderr, "receiver: failed to listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("receiver listening on http://127.0.0.1:%d/ (libhookwire %s)\n", port, hw_version());
    fflush(stdout);

    while (remaining != 0) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            perror("receiver: accept");
            return 1;
        }
        serve(fd, secret);
        close(fd);
        if (remaining > 0) remaining--;
    }
    close(listener);
    return 0;
}
