#ifndef SW_AWS_PROCESS_H
#define SW_AWS_PROCESS_H

#include <stddef.h>

#include "common/aws/creds.h"
#include "common/strvec.h"

/*
 * A profile's credential_process (AWS SDKs and Tools reference guide, "Process credential
 * provider"; botocore's ProcessProvider): the command line is split into an argv the way
 * Python's shlex.split() does it (POSIX rules: blanks separate words, '...' is literal,
 * "..." keeps all but \" and \\, a backslash outside quotes escapes the next character;
 * no variables, globs, pipes or redirections: no shell runs), the program runs with
 * slipway's environment, and its standard output is the JSON
 *   {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
 *    "SessionToken": "...", "Expiration": "2026-01-01T00:00:00Z"}
 * (SessionToken and Expiration optional; without Expiration the credentials do not
 * expire). A non-zero exit is an error carrying the program's stderr.
 */

/*
 * Split command into words appended to argv. 0, or SW_EINVAL with one line:
 * "credential_process: no closing quotation", "... no escaped character",
 * "... is empty".
 */
int sw_aws_process_split(const char *command, struct sw_strvec *argv);

/*
 * Parse the program's output (len bytes) into out (source "custom-process"). 0, or
 * negative with one line: "credential_process: unsupported Version 2 (slipway reads
 * Version 1)", "credential_process: the output has no SecretAccessKey", ...
 */
int sw_aws_process_parse(const char *json, size_t len, struct sw_aws_creds *out);

/*
 * Run command and parse what it prints. 0, or negative with one line naming the program:
 * "credential_process /usr/bin/creds: exited with 1: <its stderr's first line>".
 * Standard output is bounded (64 KiB), standard error kept to 4 KiB.
 */
int sw_aws_process_credentials(const char *command, struct sw_aws_creds *out);

#endif
