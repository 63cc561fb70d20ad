#!/usr/bin/python3
"""Copy the kernel's BTF (its .BTF section, what the running kernel shows as /sys/kernel/btf/vmlinux) out of an
arm64 kernel Image, which has no ELF section headers left: find the BTF header (magic 0xeB9F, version 1,
header length 24) whose type and string sections are laid out as the kernel's own are, and keep the largest.

    image-btf.py IMAGE OUT      (OUT is raw BTF: `bpftool btf dump file OUT format c` reads it)
"""
import gzip
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: image-btf.py IMAGE OUT")
    data = open(sys.argv[1], "rb").read()
    if data[:2] == b"\x1f\x8b":  # a gzip-compressed Image (vmlinuz of some releases)
        data = gzip.decompress(data)
    best = None
    at = data.find(b"\x9f\xeb\x01\x00")
    while at >= 0:
        if at + 24 <= len(data):
            hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<IIIII", data, at + 4)
            size = hdr_len + str_off + str_len
            if (hdr_len == 24 and type_off == 0 and str_off == type_len and type_len > 0 and str_len > 0
                    and at + size <= len(data) and data[at + hdr_len + str_off] == 0
                    and (best is None or size > best[1])):
                best = (at, size)
        at = data.find(b"\x9f\xeb\x01\x00", at + 1)
    if best is None:
        sys.exit("image-btf: no BTF in %s (a kernel built without CONFIG_DEBUG_INFO_BTF?)" % sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(data[best[0]:best[0] + best[1]])
    print("image-btf: %d bytes of BTF at offset %#x of %s" % (best[1], best[0], sys.argv[1]), file=sys.stderr)


main()
