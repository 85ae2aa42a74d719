using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace Walkers.Fuzz;

/// <summary>
/// Crafted seed images for the images target: small physical memories with page tables rooted at 0x1000 (x86 legacy,
/// PAE, 4- and 5-level, RISC-V Sv39, AArch64 4K/48 with TTBR1 at 0x2000) and hostile shapes (self-loops, cycles, entries at
/// the last page and at the first byte past the end), written as QEMU-style ELF cores, raw images, or zstd of either.
/// <c>Walkers.Fuzz seeds DIR</c> writes the fixed set the corpus starts from.
/// </summary>
public static class Seeds
{
    public const ulong Root = 0x1000;

    public enum Arch { X86Legacy, X86Pae, X86_64, X86_64La57, RiscV, Arm64 }

    /// <summary>A memory of <paramref name="pages"/> 4 KiB pages holding a small tree of tables rooted at 0x1000, some of it hostile.</summary>
    public static byte[] Memory(Arch arch, int pages, Random random, bool hostile)
    {
        var memory = new byte[pages * 4096];
        bool wide = arch != Arch.X86Legacy;
        int levels = arch switch { Arch.X86Legacy => 2, Arch.X86Pae => 3, Arch.X86_64La57 => 5, Arch.RiscV => 3, _ => 4 };
        ulong table = arch switch { Arch.RiscV => 0x1, Arch.Arm64 => 0x3, _ => 0x7 };     // a pointer to the next table
        ulong page = arch switch { Arch.RiscV => 0xCF, Arch.Arm64 => 0x703, _ => 0x67 };  // a 4 KiB page
        ulong huge = arch switch { Arch.RiscV => 0xCF, Arch.Arm64 => 0x701, _ => 0xE7 };  // a leaf above level 1
        ulong Entry(ulong address, ulong flags) => arch == Arch.RiscV ? (address >> 12 << 10) | flags : address | flags;
        void Set(ulong at, ulong value)
        {
            if (at + (ulong)(wide ? 8 : 4) > (ulong)memory.Length)
                return;
            if (wide)
                BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan((int)at), value);
            else
                BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan((int)at), (uint)value);
        }
        int entryBytes = wide ? 8 : 4;
        int entries = arch == Arch.X86Legacy ? 1024 : 512;
        int Index(int levelsDown) => arch == Arch.X86Pae && levelsDown == 0 ? random.Next(4) : random.Next(entries);

        // A chain root -> ... -> level 1 per branch, tables taken from page 2 on.
        ulong next = 0x2000 + (arch == Arch.Arm64 ? 0x1000UL : 0);
        for (int branch = 0; branch < 1 + random.Next(3); branch++)
        {
            ulong at = Root;
            for (int level = levels; level > 1; level--)
            {
                ulong slot = at + (ulong)(Index(levels - level) * entryBytes);
                if (next + 0x1000 > (ulong)memory.Length)
                    break;
                if (level <= 3 && random.Next(4) == 0 && arch != Arch.X86Legacy)
                {
                    Set(slot, Entry((ulong)random.Next(1, 64) << 21, huge));
                    break;
                }
                Set(slot, Entry(next, arch == Arch.X86Pae && level == 3 ? 0x1 : table));
                at = next;
                next += 0x1000;
                if (level == 2)
                {
                    for (int i = 0; i < 1 + random.Next(24); i++)
                        Set(at + (ulong)(random.Next(entries) * entryBytes), Entry((ulong)random.Next(1, 4096) << 12, page));
                }
            }
        }
        if (arch == Arch.Arm64)
            Set(0x2000, Entry(0x1000, table)); // TTBR1's table shares the lower root's
        if (hostile)
        {
            ulong end = (ulong)memory.Length;
            for (int i = 0; i < 1 + random.Next(6); i++)
            {
                ulong slot = Root + (ulong)(Index(0) * entryBytes);
                Set(slot, random.Next(5) switch
                {
                    0 => Entry(Root, table),                       // a self-loop
                    1 => Entry(end - 0x1000, table),               // the last page
                    2 => Entry(end, table),                        // the first byte past the end
                    3 => Entry(next - 0x1000, table),              // back into the tree: a shared or cyclic table
                    _ => (ulong)random.NextInt64() | 1,            // garbage
                });
            }
            if (random.Next(2) == 0 && end >= 0x2000)
            {
                // Every entry of the last page points at the last page.
                for (ulong at = end - 0x1000; at < end; at += (ulong)entryBytes)
                    Set(at, Entry(end - 0x1000, table));
                Set(Root, Entry(end - 0x1000, table));
            }
        }
        return memory;
    }

    public static ushort Machine(Arch arch) => arch switch
    {
        Arch.X86_64 or Arch.X86_64La57 => 62,
        Arch.RiscV => 243,
        Arch.Arm64 => 183,
        _ => 3,
    };

    /// <summary>An ELF core shaped like QEMU's: an optional QEMU CPU note, then PT_LOAD segments (the memory cut in pieces).</summary>
    public static byte[] ElfCore(byte[] memory, ushort machine, ulong? cr0, ulong cr3, ulong cr4, bool elf64, int segments, ulong physicalBase = 0)
    {
        var note = new List<byte>();
        if (cr0 is ulong cr0Value)
        {
            var descriptor = new byte[440];
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor.AsSpan(4), 440);
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(392), cr0Value);
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(392 + 24), cr3);
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(392 + 32), cr4);
            note.AddRange(BitConverter.GetBytes(5u));
            note.AddRange(BitConverter.GetBytes((uint)descriptor.Length));
            note.AddRange(BitConverter.GetBytes(0u));
            note.AddRange("QEMU\0\0\0\0"u8.ToArray());
            note.AddRange(descriptor);
        }
        segments = Math.Max(1, Math.Min(segments, memory.Length / 4096));
        int headerSize = elf64 ? 64 : 52, entrySize = elf64 ? 56 : 32;
        int programHeaders = (note.Count > 0 ? 1 : 0) + segments;
        int noteOffset = headerSize + programHeaders * entrySize;
        int loadOffset = noteOffset + note.Count;
        var file = new byte[loadOffset + memory.Length];
        "\x7f"u8.CopyTo(file);
        "ELF"u8.CopyTo(file.AsSpan(1));
        file[4] = (byte)(elf64 ? 2 : 1);
        file[5] = 1;
        file[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(16), 4);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 1);
        if (elf64)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(32), (ulong)headerSize);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(52), 64);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(54), (ushort)entrySize);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(56), (ushort)programHeaders);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), (uint)headerSize);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(40), 52);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(42), (ushort)entrySize);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(44), (ushort)programHeaders);
        }
        int at = headerSize;
        if (note.Count > 0)
        {
            ProgramHeader(file, at, elf64, 4, (ulong)noteOffset, 0, (ulong)note.Count);
            at += entrySize;
        }
        int pages = memory.Length / 4096;
        for (int s = 0; s < segments; s++)
        {
            int first = pages * s / segments, last = pages * (s + 1) / segments;
            ulong offset = (ulong)first * 4096;
            ProgramHeader(file, at, elf64, 1, (ulong)loadOffset + offset, physicalBase + offset, (ulong)(last - first) * 4096);
            at += entrySize;
        }
        note.CopyTo(file, noteOffset);
        memory.CopyTo(file, loadOffset);
        return file;
    }

    private static void ProgramHeader(byte[] file, int at, bool elf64, uint type, ulong offset, ulong physical, ulong size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), type);
        if (elf64)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at + 8), offset);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at + 16), physical);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at + 24), physical);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at + 32), size);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at + 40), size);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 4), (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 8), (uint)physical);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 12), (uint)physical);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 16), (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 20), (uint)size);
        }
    }

    public static byte[] Zstd(byte[] data, int level = 3)
    {
        using var compressor = new ZstdSharp.Compressor(level);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>The control registers that select <paramref name="arch"/>'s mode with CR3 = 0x1000 (null: not x86).</summary>
    public static (ulong Cr0, ulong Cr4)? X86Registers(Arch arch) => arch switch
    {
        Arch.X86Legacy => (0x8000_0011, 0x10),
        Arch.X86Pae => (0x8000_0011, 0x20),
        Arch.X86_64 => (0x8000_0011, 0x20),
        Arch.X86_64La57 => (0x8000_0011, 0x1020),
        _ => null,
    };

    /// <summary>One random image of any shape: for the structured half of the mutation driver.</summary>
    public static byte[] RandomImage(Random random)
    {
        var arch = (Arch)random.Next(6);
        var memory = Memory(arch, 8 + random.Next(24), random, hostile: random.Next(3) == 0);
        byte[] file;
        if (random.Next(4) == 0)
            file = memory;
        else
        {
            var registers = X86Registers(arch);
            bool withNote = registers is not null && random.Next(6) != 0;
            file = ElfCore(memory, Machine(arch), withNote ? registers!.Value.Cr0 : null, Root, registers?.Cr4 ?? 0,
                elf64: arch is not (Arch.X86Legacy or Arch.X86Pae) || random.Next(4) == 0, segments: 1 + random.Next(4),
                physicalBase: random.Next(8) == 0 ? 0x1000UL : 0UL);
        }
        return random.Next(4) == 0 ? Zstd(file) : file;
    }

    /// <summary>The fixed seeds: one per architecture and container, plain and hostile, each with a command line that fits it.</summary>
    public static IEnumerable<(string Name, byte[] Input)> ImageSeeds()
    {
        var random = new Random(20_251_201);
        foreach (Arch arch in Enum.GetValues<Arch>())
        {
            foreach (bool hostile in new[] { false, true })
            {
                var memory = Memory(arch, 6, random, hostile);
                var registers = X86Registers(arch);
                var elf = ElfCore(memory, Machine(arch), registers?.Cr0, Root, registers?.Cr4 ?? 0,
                    elf64: arch is not (Arch.X86Legacy or Arch.X86Pae), segments: hostile ? 3 : 1);
                string name = $"{arch}-{(hostile ? "hostile" : "tree")}".ToLowerInvariant();
                int listing = arch switch { Arch.RiscV => 2, Arch.Arm64 => 3, _ => hostile ? 4 : 1 };
                yield return ($"{name}.elf", [(byte)listing, .. elf]);
                yield return ($"{name}.elf.zst", [(byte)(hostile ? 5 : 6), .. Zstd(elf)]);
                int raw = arch switch
                {
                    Arch.X86Legacy => 10, Arch.X86Pae => 9, Arch.X86_64 => 8, Arch.X86_64La57 => 11, Arch.RiscV => 12, _ => 14,
                };
                yield return ($"{name}.raw", [(byte)raw, .. memory]);
            }
        }
    }

    /// <summary>Writes the fixed seeds of every target into <paramref name="corpus"/>/&lt;target&gt;/.</summary>
    public static void Write(string corpus)
    {
        void Put(string target, string name, byte[] input)
        {
            string folder = Path.Combine(corpus, target);
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name), input);
        }
        foreach (var (name, input) in ImageSeeds())
            Put("images", name, input);
        foreach (var (name, input) in WalkersTarget.Seeds())
            Put("walkers", name, input);
        foreach (var (name, input) in GeneratorTarget.Seeds())
            Put("generator", name, input);
    }
}
