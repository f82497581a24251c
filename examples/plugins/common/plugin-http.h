/*
 * A minimal HTTP/1.x server on a unix socket for Docker plugins: one request per connection,
 * a JSON body in, a JSON body out. Written for static linking into a FROM-scratch rootfs (no
 * libc resolver, no dynamic loader). The request body is capped; anything malformed is closed.
 */
#ifndef PLUGIN_HTTP_H
#define PLUGIN_HTTP_H

#include <stddef.h>

#define PLUGIN_MAX_BODY (1024 * 1024)

/* Called once per request. path is e.g. "/Plugin.Activate", body is NUL-terminated JSON.
 * Writes the JSON answer into out (size outsz) and returns the HTTP status. */
typedef int (*plugin_handler)(const char *path, const char *body, char *out, size_t outsz);

/* Listens on socket_path (removing a stale one) and serves forever; returns only on error. */
int plugin_serve(const char *socket_path, plugin_handler handler);

/* Copies the JSON string value of "key" (first occurrence, top-level or not) into out;
 * returns 0 when found. Handles \" \\ \/ \n \t escapes; other escapes are kept as-is. */
int json_string(const char *json, const char *key, char *out, size_t outsz);

/* Writes s as a JSON string literal body (without quotes) into out. */
void json_escape(const char *s, char *out, size_t outsz);

/* Decodes standard base64 (padding optional) into out, NUL-terminated; returns the length or -1. */
long base64_decode(const char *in, char *out, size_t outsz);

#endif
