#include "plugin-http.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define HEADER_MAX 8192

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void answer(int fd, int status, const char *json) {
  char head[256];
  const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 400 ? "Bad Request" : "Internal Server Error";
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, strlen(json));
  if (write_all(fd, head, (size_t)n) == 0) write_all(fd, json, strlen(json));
}

/* Reads one request; returns 0 and fills path/body (body malloc'd) or -1. */
static int read_request(int fd, char *path, size_t pathsz, char **body_out) {
  char head[HEADER_MAX + 1];
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == HEADER_MAX) return -1;
    ssize_t n = read(fd, head + have, HEADER_MAX - have);
    if (n <= 0) return -1;
    have += (size_t)n;
    head[have] = '\0';
    end = strstr(head, "\r\n\r\n");
  }
  char method[16];
  if (sscanf(head, "%15s %1023s", method, path) != 2 || strcasecmp(method, "POST") != 0) return -1;
  (void)pathsz;
  long length = 0;
  for (char *line = strstr(head, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "Content-Length:", 15) == 0) length = strtol(line + 17, NULL, 10);
  }
  if (length < 0 || length > PLUGIN_MAX_BODY) return -1;
  char *body = malloc((size_t)length + 1);
  if (!body) return -1;
  size_t already = have - (size_t)(end + 4 - head);
  if (already > (size_t)length) already = (size_t)length;
  memcpy(body, end + 4, already);
  while (already < (size_t)length) {
    ssize_t n = read(fd, body + already, (size_t)length - already);
    if (n <= 0) {
      free(body);
      return -1;
    }
    already += (size_t)n;
  }
  body[length] = '\0';
  *body_out = body;
  return 0;
}

int plugin_serve(const char *socket_path, plugin_handler handler) {
  signal(SIGPIPE, SIG_IGN);
  int srv = socket(AF_UNIX, SOCK_STREAM, 0);
  if (srv < 0) return perror("socket"), 1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof addr.sun_path) return fprintf(stderr, "socket path too long\n"), 1;
  strcpy(addr.sun_path, socket_path);
  unlink(socket_path);
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) < 0) return perror("bind"), 1;
  chmod(socket_path, 0600);
  if (listen(srv, 64) < 0) return perror("listen"), 1;
  fprintf(stderr, "listening on %s\n", socket_path);
  static char out[64 * 1024];
  for (;;) {
    int fd = accept(srv, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return perror("accept"), 1;
    }
    /* A client that stalls must not hold the (single-threaded) server for long. */
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char path[1024];
    char *body = NULL;
    if (read_request(fd, path, sizeof path, &body) == 0) {
      out[0] = '\0';
      int status = handler(path, body, out, sizeof out);
      answer(fd, status, out);
      free(body);
    } else {
      answer(fd, 400, "{\"Err\":\"malformed request\"}");
    }
    close(fd);
  }
}

int json_string(const char *json, const char *key, char *out, size_t outsz) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *p = strstr(json, pattern);
  if (!p) return -1;
  p += strlen(pattern);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p != ':') return -1;
  p++;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p != '"') return -1;
  p++;
  size_t o = 0;
  while (*p && *p != '"') {
    char c = *p++;
    if (c == '\\' && *p) {
      char e = *p++;
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
    }
    if (o + 1 < outsz) out[o++] = c;
  }
  out[o] = '\0';
  return *p == '"' ? 0 : -1;
}

void json_escape(const char *s, char *out, size_t outsz) {
  size_t o = 0;
  for (; *s && o + 2 < outsz; s++) {
    if (*s == '"' || *s == '\\') out[o++] = '\\';
    if ((unsigned char)*s < 0x20) continue;
    out[o++] = *s;
  }
  out[o] = '\0';
}

static int b64(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

long base64_decode(const char *in, char *out, size_t outsz) {
  size_t o = 0;
  int bits = 0, acc = 0;
  for (; *in && *in != '='; in++) {
    int v = b64(*in);
    if (v < 0) return -1;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o + 1 >= outsz) return -1;
      out[o++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[o] = '\0';
  return (long)o;
}
