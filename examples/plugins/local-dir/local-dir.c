/*
 * local-dir: a Docker volume driver (docker.volumedriver/1.0) that keeps each volume in a folder
 * under /volumes, which the plugin's config bind-mounts from the node (settable as
 * volumes.source). Options: mode=<octal> sets the folder's mode at creation; any other option
 * is refused, so a typo never silently does nothing.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/plugin-http.h"

static const char *root = "/volumes";

static int valid_name(const char *name) {
  if (!*name || strlen(name) > 200 || name[0] == '.') return 0;
  for (const char *p = name; *p; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-')) return 0;
  }
  return 1;
}

static int err_answer(char *out, size_t outsz, const char *fmt, const char *arg) {
  char msg[512], escaped[600];
  snprintf(msg, sizeof msg, fmt, arg);
  json_escape(msg, escaped, sizeof escaped);
  snprintf(out, outsz, "{\"Err\":\"%s\"}", escaped);
  return 200;
}

/* Walks the "Opts" object of a Create body: each "key":"value" pair. Returns NULL when all
 * are understood, or the first unknown key (into bad). */
static const char *apply_opts(const char *body, mode_t *mode, char *bad, size_t badsz) {
  const char *p = strstr(body, "\"Opts\"");
  if (!p) return NULL;
  p = strchr(p, ':');
  if (!p) return NULL;
  while (*++p == ' ') {}
  if (*p != '{') return NULL;
  for (;;) {
    const char *k = strchr(p, '"');
    const char *close = strchr(p, '}');
    if (!k || (close && close < k)) return NULL;
    const char *kend = strchr(k + 1, '"');
    if (!kend) return NULL;
    char key[64] = {0};
    snprintf(key, sizeof key, "%.*s", (int)(kend - k - 1), k + 1);
    char value[128];
    if (json_string(kend - strlen(key) - 1, key, value, sizeof value) != 0) return NULL;
    if (strcmp(key, "mode") == 0) {
      *mode = (mode_t)strtol(value, NULL, 8);
    } else {
      snprintf(bad, badsz, "%s", key);
      return bad;
    }
    p = strchr(strchr(kend + 1, '"') + 1, '"') + 1;
  }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static int handle(const char *path, const char *body, char *out, size_t outsz) {
  char name[256] = "", dir[512];
  if (strcmp(path, "/Plugin.Activate") == 0) {
    snprintf(out, outsz, "{\"Implements\":[\"VolumeDriver\"]}");
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.Capabilities") == 0) {
    snprintf(out, outsz, "{\"Capabilities\":{\"Scope\":\"local\"}}");
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.List") == 0) {
    size_t o = (size_t)snprintf(out, outsz, "{\"Volumes\":[");
    DIR *d = opendir(root);
    struct dirent *e;
    int first = 1;
    while (d && (e = readdir(d)) != NULL) {
      if (!valid_name(e->d_name)) continue;
      o += (size_t)snprintf(out + o, outsz - o, "%s{\"Name\":\"%s\",\"Mountpoint\":\"%s/%s\"}", first ? "" : ",", e->d_name, root, e->d_name);
      first = 0;
      if (o + 600 > outsz) break;
    }
    if (d) closedir(d);
    snprintf(out + o, outsz - o, "]}");
    return 200;
  }
  if (json_string(body, "Name", name, sizeof name) != 0 || !valid_name(name)) return err_answer(out, outsz, "local-dir: invalid volume name \"%s\"", name);
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  struct stat st;
  int exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
  if (strcmp(path, "/VolumeDriver.Create") == 0) {
    mode_t mode = 0755;
    char bad[64];
    if (apply_opts(body, &mode, bad, sizeof bad)) return err_answer(out, outsz, "local-dir: unknown option \"%s\" (only mode is understood)", bad);
    if (!exists && mkdir(dir, mode) != 0) return err_answer(out, outsz, "local-dir: cannot create the folder: %s", strerror(errno));
    if (!exists) chmod(dir, mode);
    snprintf(out, outsz, "{}");
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.Mount") == 0 || strcmp(path, "/VolumeDriver.Path") == 0) {
    if (!exists && strcmp(path, "/VolumeDriver.Mount") == 0 && mkdir(dir, 0755) != 0) return err_answer(out, outsz, "local-dir: cannot create the folder: %s", strerror(errno));
    snprintf(out, outsz, "{\"Mountpoint\":\"%s\"}", dir);
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.Unmount") == 0) {
    snprintf(out, outsz, "{}");
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.Get") == 0) {
    if (!exists) return err_answer(out, outsz, "local-dir: no such volume \"%s\"", name);
    snprintf(out, outsz, "{\"Volume\":{\"Name\":\"%s\",\"Mountpoint\":\"%s\",\"Status\":{}}}", name, dir);
    return 200;
  }
  if (strcmp(path, "/VolumeDriver.Remove") == 0) {
    if (exists && nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return err_answer(out, outsz, "local-dir: cannot remove the folder: %s", strerror(errno));
    snprintf(out, outsz, "{}");
    return 200;
  }
  snprintf(out, outsz, "{\"Err\":\"unknown method\"}");
  return 404;
}

int main(void) {
  const char *dir = getenv("PLUGIN_SOCKET_DIR");
  const char *volumes = getenv("LOCAL_DIR_ROOT");
  if (volumes && *volumes) root = volumes;
  char socket_path[256];
  snprintf(socket_path, sizeof socket_path, "%s/local-dir.sock", dir && *dir ? dir : "/run/docker/plugins");
  return plugin_serve(socket_path, handle);
}
