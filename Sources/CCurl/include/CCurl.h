// The part of libcurl's easy interface rolo's HTTP transport uses, reached through the library
// loaded on first use (rolo_curl_load). curl_easy_setopt and curl_easy_getinfo are variadic,
// which Swift cannot call: these wrappers give each use a typed signature.
#ifndef ROLO_CCURL_H
#define ROLO_CCURL_H

#include <curl/curl.h>

/// Loads libcurl and sets it up for the process, once, before any other call (libcurl is not
/// thread-safe before this). 0 when no libcurl could be loaded or set up.
int rolo_curl_load(void);

CURL *rolo_curl_easy_init(void);
void rolo_curl_easy_cleanup(CURL *handle);
void rolo_curl_easy_reset(CURL *handle);
CURLcode rolo_curl_easy_perform(CURL *handle);
const char *rolo_curl_easy_strerror(CURLcode code);
struct curl_slist *rolo_curl_slist_append(struct curl_slist *list, const char *line);
void rolo_curl_slist_free_all(struct curl_slist *list);

CURLcode rolo_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode rolo_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode rolo_curl_set_pointer(CURL *handle, CURLoption option, const void *value);

typedef size_t (*rolo_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*rolo_curl_progress_callback)(void *context, curl_off_t down_total, curl_off_t down_now,
                                           curl_off_t up_total, curl_off_t up_now);

/// The body's bytes (CURLOPT_WRITEFUNCTION) and the reply's header lines (CURLOPT_HEADERFUNCTION).
CURLcode rolo_curl_set_receivers(CURL *handle, rolo_curl_data_callback body, rolo_curl_data_callback header, void *context);
/// Asked about once a second and on every transfer: non-zero stops the transfer (a cancelled task).
CURLcode rolo_curl_set_progress(CURL *handle, rolo_curl_progress_callback progress, void *context);

long rolo_curl_response_code(CURL *handle);

#endif
