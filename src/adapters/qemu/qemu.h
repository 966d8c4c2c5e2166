/* The hypervisor port on QEMU (qemu-system-x86_64, QMP over a unix socket per VM). */
#ifndef CHIMERA_ADAPTERS_QEMU_H
#define CHIMERA_ADAPTERS_QEMU_H

#include "ports/hypervisor.h"

/*
 * Open the QEMU hypervisor; its boot kit lives in KIT_DIR (made when first needed). Returns
 * 0, or ERR_UNSUPPORTED naming what to install (qemu-system-x86, qemu-utils, linux-image-amd64,
 * busybox-static, cpio, e2fsprogs).
 */
int qemu_open(const char *kit_dir, struct hypervisor **out);

#endif
