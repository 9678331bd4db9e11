#ifndef SW_BANNED_H
#define SW_BANNED_H

/*
 * Functions that are too easy to misuse. Include this header LAST in every .c file
 * (after all system and project headers), as git does: a call to any of these then
 * fails to compile, naming the function. Use struct sw_buf (common/buf.h) instead.
 */

#define SW_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) SW_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SW_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SW_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SW_BANNED(strncat)
#undef strtok
#define strtok(x, y) SW_BANNED(strtok)

#undef sprintf
#undef vsprintf
#define sprintf(...) SW_BANNED(sprintf)
#define vsprintf(...) SW_BANNED(vsprintf)

#undef gets
#define gets(x) SW_BANNED(gets)
#undef system
#define system(x) SW_BANNED(system)
#undef popen
#define popen(x, y) SW_BANNED(popen)

#undef gmtime
#define gmtime(t) SW_BANNED(gmtime)
#undef localtime
#define localtime(t) SW_BANNED(localtime)
#undef ctime
#define ctime(t) SW_BANNED(ctime)
#undef asctime
#define asctime(t) SW_BANNED(asctime)

#endif
