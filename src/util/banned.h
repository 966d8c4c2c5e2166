/*
 * Functions this project does not use, made compile errors. Every source file includes this
 * last, after the system headers (whose declarations it would otherwise break).
 * Why: strcpy, strcat, sprintf, vsprintf and gets write without a bound (use snprintf, buf);
 * strncpy and strncat leave strings unterminated or bounded wrongly; atoi, atol and atoll
 * cannot report a bad number (use strtol with errno and an end check); strtok keeps hidden
 * state between calls (use strtok_r or memchr); asctime, ctime, gmtime and localtime return
 * shared buffers (use their _r forms).
 */
#ifndef CHIMERA_UTIL_BANNED_H
#define CHIMERA_UTIL_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_see_util_banned_h

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef asctime
#define asctime(x) BANNED(asctime)
#undef ctime
#define ctime(x) BANNED(ctime)
#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef localtime
#define localtime(x) BANNED(localtime)

#endif
