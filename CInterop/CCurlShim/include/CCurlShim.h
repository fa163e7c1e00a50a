// Typed wrappers around libcurl's variadic calls (curl_easy_setopt, curl_multi_setopt,
// curl_easy_getinfo), which Swift cannot call directly. Each wrapper passes its argument with
// the exact C type that the option expects.
#ifndef HOOKWIRE_CCURLSHIM_H
#define HOOKWIRE_CCURLSHIM_H

#include <curl/curl.h>

CURLcode hw_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode hw_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode hw_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode hw_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode hw_curl_easy_setopt_write_callback(
    CURL *handle, CURLoption option, size_t (*callback)(char *, size_t, size_t, void *));
/// Sets CURLOPT_OPENSOCKETFUNCTION, which lets the caller check the address actually dialled.
CURLcode hw_curl_easy_setopt_opensocket_callback(
    CURL *handle,
    curl_socket_t (*callback)(void *, curlsocktype, struct curl_sockaddr *));

CURLMcode hw_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

CURLcode hw_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode hw_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode hw_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode hw_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value);
CURLcode hw_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

#endif
