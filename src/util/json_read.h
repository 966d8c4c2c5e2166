/*
 * Reading a document chimera wrote (a report's JSON) back into a struct: one reader carries
 * the first bad field as the error, so a decoder reads every field and checks once.
 */
#ifndef CHIMERA_UTIL_JSON_READ_H
#define CHIMERA_UTIL_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* What a field may be besides its type. */
enum {
	JR_NULL = 1,	/* null is accepted (read as NULL, "", 0 or false) */
	JR_ABSENT = 2,	/* a missing member is accepted, read as null */
};

struct json_read {
	int err;		/* the first error (ERR_INVALID, message set), 0 while none */
	const char *what;	/* the document, for messages: "the status report" */
};

/* A reader for the document WHAT names. */
#define JSON_READ_INIT(what_) { 0, (what_) }

/* Record that FIELD is bad (only the first error is kept). Returns R->err. */
int json_read_fail(struct json_read *r, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Member KEY of OBJ as a string (borrowed from OBJ); NULL for null, absent (as FLAGS allow) or an error. */
const char *json_read_str(struct json_read *r, const json_t *obj, const char *key, int flags);

/* Member KEY as a string copied into OUT (LEN bytes): "" for null or absent; longer than fits is an error. */
void json_read_copy(struct json_read *r, const json_t *obj, const char *key, int flags, char *out, size_t len);

/* Member KEY as an integer in [MIN, MAX]; 0 for null or absent. */
int64_t json_read_int(struct json_read *r, const json_t *obj, const char *key, int flags, int64_t min, int64_t max);

/* Member KEY as true or false; false for null or absent. */
bool json_read_bool(struct json_read *r, const json_t *obj, const char *key, int flags);

/* Member KEY as an object (borrowed); NULL for null, absent or an error. */
const json_t *json_read_object(struct json_read *r, const json_t *obj, const char *key, int flags);

/* Member KEY as an array (borrowed); NULL for null, absent or an error. */
const json_t *json_read_array(struct json_read *r, const json_t *obj, const char *key, int flags);

/* "a string", "an object", ... for messages. */
const char *json_read_type(const json_t *v);

#endif
