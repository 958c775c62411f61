/*
 * Whether a plugin file or directory may be trusted: loading a plugin runs its
 * code as the user running pharos, so nobody else may be able to change it.
 * The path, once resolved, and every directory above it must be owned by root
 * or that user and not writable by group or others; an ancestor may be
 * world-writable only with the sticky bit and owned by root (/tmp), where
 * nobody else can rename or replace what it holds.
 */
#ifndef PHAROS_CORE_PATH_TRUST_H
#define PHAROS_CORE_PATH_TRUST_H

#include <stddef.h>

#include "util/error.h"

/* 0 with the resolved absolute path in real (cap >= PATH_MAX), or PERR_FAIL with err
 * "PATH: refused: ..." naming the path or directory at fault. */
int plugin_path_trusted(const char *path, char *real, size_t cap, struct pharos_error *err);

#endif
