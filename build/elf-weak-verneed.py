#!/usr/bin/env python3
"""Mark one symbol-version requirement (e.g. GLIBCXX_3.4.32) of an ELF64 little-endian shared
library as weak (VER_FLG_WEAK, 0x2 in vna_flags), so the dynamic loader accepts a libstdc++
that lacks that version instead of refusing to load the library.

Usage: elf-weak-verneed.py LIBRARY VERSION_NAME
Exit code 0 when the entry is (now) weak; 1 when the library has no such requirement.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main(path: str, version: str) -> int:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not an ELF64 little-endian file")
        e_shoff = struct.unpack_from("<Q", data, 0x28)[0]
        e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)

        def section(i):
            # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, ...
            return struct.unpack_from("<IIQQQQII", data, e_shoff + i * e_shentsize)

        for i in range(e_shnum):
            _, sh_type, _, _, offset, _, link, count = section(i)
            if sh_type != SHT_GNU_VERNEED:
                continue
            strtab = section(link)[4]
            vn = offset
            for _ in range(count):
                # Elf64_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next
                _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
                aux = vn + vn_aux
                for _ in range(vn_cnt):
                    # Elf64_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
                    _, flags, _, name, vna_next = struct.unpack_from("<IHHII", data, aux)
                    end = data.index(b"\0", strtab + name)
                    if data[strtab + name:end].decode() == version:
                        struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                        f.seek(0)
                        f.write(data)
                        return 0
                    aux += vna_next
                vn += vn_next
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
