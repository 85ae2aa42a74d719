#!/usr/bin/env python3
"""Cut a QEMU dump-guest-memory ELF core down to its page tables.

Usage: extract-tables.py MEM.ELF OUT.ELF

Keeps the PT_NOTE segment (the QEMU CPU note with CR0/CR3/CR4) and, as one PT_LOAD per run of pages, every
page-table page reachable from CR3 (mode from CR0/CR4/e_machine, as QEMU's monitor picks it). The leaves'
frames are left out: a listing never reads them. Used to make the small 5-level and legacy captures in this
folder from tools/make-oracle.sh output (the full dumps are 128 MiB each).
"""
import struct
import sys


def main(source, target):
    data = open(source, 'rb').read()
    assert data[:4] == b'\x7fELF' and data[4] == 2, 'ELF64 expected (QEMU writes ELF64 for these guests)'
    machine, = struct.unpack_from('<H', data, 18)
    phoff, = struct.unpack_from('<Q', data, 32)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    loads, note = [], None
    for i in range(phnum):
        ptype, _, offset, _, paddr, filesz = struct.unpack_from('<IIQQQQ', data, phoff + i * phentsize)
        if ptype == 1:
            loads.append((paddr, offset, filesz))
        elif ptype == 4:
            note = data[offset:offset + filesz]

    def read(pa, size):
        for paddr, offset, filesz in loads:
            if paddr <= pa and pa + size <= paddr + filesz:
                return data[offset + pa - paddr:offset + pa - paddr + size]
        return None

    at = 0
    while at < len(note):
        namesz, descsz, ntype = struct.unpack_from('<III', note, at)
        name = note[at + 12:at + 12 + namesz].rstrip(b'\0')
        desc = at + 12 + ((namesz + 3) & ~3)
        if name == b'QEMU':
            cr0, _, _, cr3, cr4 = struct.unpack_from('<5Q', note, desc + 392)
            break
        at = desc + ((descsz + 3) & ~3)
    long_mode = machine == 62
    if not cr4 & 0x20:
        mode, root, entry, levels, huge = 'legacy', cr3 & ~0xfff, 4, 2, {2} if cr4 & 0x10 else set()
    elif not long_mode:
        mode, root, entry, levels, huge = 'pae', cr3 & ~0x1f, 8, 3, {2}
    else:
        mode, root, entry, levels, huge = 'long', cr3 & 0x3fffffffff000, 8, 5 if cr4 & 0x1000 else 4, {2, 3}
    address_mask = 0xfffff000 if entry == 4 else 0x3fffffffff000

    pages = set()

    def walk(table, level):
        page = table & ~0xfff
        pages.add(page)
        count = 4 if (mode == 'pae' and level == 3) else 4096 // entry
        raw = read(table, count * entry)
        if raw is None:
            return
        for i in range(count):
            e = int.from_bytes(raw[i * entry:(i + 1) * entry], 'little')
            if e & 1 and level > 1 and not (level in huge and e & 0x80):
                walk(e & address_mask, level - 1)

    walk(root, levels)
    runs = []
    for page in sorted(pages):
        if runs and runs[-1][0] + runs[-1][1] == page:
            runs[-1][1] += 4096
        else:
            runs.append([page, 4096])

    header = 64
    count = 1 + len(runs)
    note_offset = header + count * 56
    offset = note_offset + len(note)
    out = bytearray(struct.pack('<4sBBBB8xHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 4, machine, 1, 0,
                                header, 0, 0, 64, 56, count, 64, 0, 0))
    out += struct.pack('<IIQQQQQQ', 4, 0, note_offset, 0, 0, len(note), len(note), 0)
    body = bytearray(note)
    for page, size in runs:
        out += struct.pack('<IIQQQQQQ', 1, 7, offset + len(body) - len(note), page, page, size, size, 0)
        for p in range(page, page + size, 4096):
            body += read(p, 4096) or bytes(4096)
    open(target, 'wb').write(out + body)
    print(f'{mode}, {levels} levels: {len(pages)} table pages in {len(runs)} segments')


if __name__ == '__main__':
    main(*sys.argv[1:])
