/*
 * no-remove: a Docker authorization plugin (docker.authz/1.0) that denies removals of
 * services, nodes, stacks, networks, secrets and configs, and allows everything else.
 * It decides on RequestMethod and RequestUri only, as a plugin written for Docker would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/plugin-http.h"

static const char *const PROTECTED[] = {"services", "nodes", "stacks", "networks", "secrets", "configs"};

/* "/v1.41/services/web" and "/services/web" both name the collection "services". */
static const char *collection_of(const char *uri, char *out, size_t outsz) {
  const char *p = uri;
  if (p[0] == '/' && p[1] == 'v' && p[2] >= '0' && p[2] <= '9') {
    const char *slash = strchr(p + 1, '/');
    if (slash) p = slash;
  }
  if (*p == '/') p++;
  size_t n = strcspn(p, "/?");
  if (n >= outsz) n = outsz - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

static int handle(const char *path, const char *body, char *out, size_t outsz) {
  if (strcmp(path, "/Plugin.Activate") == 0) {
    snprintf(out, outsz, "{\"Implements\":[\"authz\"]}");
    return 200;
  }
  if (strcmp(path, "/AuthZPlugin.AuthZRes") == 0) {
    snprintf(out, outsz, "{\"Allow\":true}");
    return 200;
  }
  if (strcmp(path, "/AuthZPlugin.AuthZReq") == 0) {
    char method[16], uri[1024], collection[64];
    if (json_string(body, "RequestMethod", method, sizeof method) != 0 || json_string(body, "RequestUri", uri, sizeof uri) != 0) {
      snprintf(out, outsz, "{\"Allow\":false,\"Msg\":\"no-remove: request without RequestMethod or RequestUri\"}");
      return 200;
    }
    collection_of(uri, collection, sizeof collection);
    if (strcmp(method, "DELETE") == 0) {
      for (size_t i = 0; i < sizeof PROTECTED / sizeof *PROTECTED; i++) {
        if (strcmp(collection, PROTECTED[i]) == 0) {
          char what[64];
          json_escape(collection, what, sizeof what);
          snprintf(out, outsz, "{\"Allow\":false,\"Msg\":\"removing %s is not allowed on this cluster (no-remove plugin)\"}", what);
          return 200;
        }
      }
    }
    snprintf(out, outsz, "{\"Allow\":true}");
    return 200;
  }
  snprintf(out, outsz, "{\"Err\":\"unknown method\"}");
  return 404;
}

int main(void) {
  const char *dir = getenv("PLUGIN_SOCKET_DIR");
  char socket_path[256];
  snprintf(socket_path, sizeof socket_path, "%s/no-remove.sock", dir && *dir ? dir : "/run/docker/plugins");
  return plugin_serve(socket_path, handle);
}
