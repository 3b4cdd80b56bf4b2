#include "CCurl.h"

#include <dlfcn.h>
#include <stddef.h>

// libcurl is loaded on first use, not linked: linked, it brought some thirty libraries (TLS,
// Kerberos, LDAP, …) that the dynamic loader mapped and relocated on every start of rolo,
// `rolo list` included, which never sends a request.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static const char *const library_names[] = { "libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4", "libcurl.so" };

int rolo_curl_load(void) {
    void *library = NULL;
    for (size_t index = 0; library == NULL && index < sizeof library_names / sizeof library_names[0]; index++) {
        library = dlopen(library_names[index], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) return 0;
#define ROLO_CURL_FIND(field, symbol) \
    if ((*(void **)&api.field = dlsym(library, symbol)) == NULL) return 0;
    ROLO_CURL_FIND(global_init, "curl_global_init")
    ROLO_CURL_FIND(easy_init, "curl_easy_init")
    ROLO_CURL_FIND(easy_cleanup, "curl_easy_cleanup")
    ROLO_CURL_FIND(easy_reset, "curl_easy_reset")
    ROLO_CURL_FIND(easy_perform, "curl_easy_perform")
    ROLO_CURL_FIND(easy_strerror, "curl_easy_strerror")
    ROLO_CURL_FIND(easy_setopt, "curl_easy_setopt")
    ROLO_CURL_FIND(easy_getinfo, "curl_easy_getinfo")
    ROLO_CURL_FIND(slist_append, "curl_slist_append")
    ROLO_CURL_FIND(slist_free_all, "curl_slist_free_all")
#undef ROLO_CURL_FIND
    return api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

CURL *rolo_curl_easy_init(void) { return api.easy_init(); }

void rolo_curl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }

void rolo_curl_easy_reset(CURL *handle) { api.easy_reset(handle); }

CURLcode rolo_curl_easy_perform(CURL *handle) { return api.easy_perform(handle); }

const char *rolo_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }

struct curl_slist *rolo_curl_slist_append(struct curl_slist *list, const char *line) { return api.slist_append(list, line); }

void rolo_curl_slist_free_all(struct curl_slist *list) { if (list != NULL) api.slist_free_all(list); }

CURLcode rolo_curl_set_long(CURL *handle, CURLoption option, long value) { return api.easy_setopt(handle, option, value); }

CURLcode rolo_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) { return api.easy_setopt(handle, option, value); }

CURLcode rolo_curl_set_pointer(CURL *handle, CURLoption option, const void *value) { return api.easy_setopt(handle, option, value); }

CURLcode rolo_curl_set_receivers(CURL *handle, rolo_curl_data_callback body, rolo_curl_data_callback header, void *context) {
    CURLcode code = api.easy_setopt(handle, CURLOPT_WRITEFUNCTION, body);
    if (code == CURLE_OK) code = api.easy_setopt(handle, CURLOPT_WRITEDATA, context);
    if (code == CURLE_OK) code = api.easy_setopt(handle, CURLOPT_HEADERFUNCTION, header);
    if (code == CURLE_OK) code = api.easy_setopt(handle, CURLOPT_HEADERDATA, context);
    return code;
}

CURLcode rolo_curl_set_progress(CURL *handle, rolo_curl_progress_callback progress, void *context) {
    CURLcode code = api.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, progress);
    if (code == CURLE_OK) code = api.easy_setopt(handle, CURLOPT_XFERINFODATA, context);
    if (code == CURLE_OK) code = api.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    return code;
}

long rolo_curl_response_code(CURL *handle) {
    long code = 0;
    api.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
