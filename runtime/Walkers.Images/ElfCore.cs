using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;

namespace Walkers.Images;

/// <summary>A PT_LOAD segment of an ELF core: physical range <c>[PhysicalAddress, PhysicalAddress + Size)</c> at <c>FileOffset</c>.</summary>
public readonly record struct ElfLoadSegment(ulong PhysicalAddress, ulong VirtualAddress, ulong FileOffset, ulong Size, ulong MemorySize)
{
    /// <summary>One past the last physical address; 0 for a segment that ends at 2^64.</summary>
    public ulong PhysicalEnd => PhysicalAddress + Size;
}

/// <summary>One ELF note: owner name, type and the descriptor's place in the file.</summary>
public readonly record struct ElfNote(string Name, uint Type, ulong DescriptorOffset, uint DescriptorSize);

/// <summary>
/// The headers of an ELF core (ELF32 or ELF64, little-endian) such as QEMU's <c>dump-guest-memory</c> writes:
/// its PT_LOAD segments (physical ranges from <c>p_paddr</c>) and its notes. Every offset and size is checked
/// against the file before it is used, so a truncated or malformed file gives an
/// <see cref="ImageFormatException"/>, never a read outside it.
/// </summary>
public sealed unsafe class ElfCore
{
    public const ushort MachineI386 = 3;
    public const ushort MachineX86_64 = 62;
    public const ushort TypeCore = 4;
    private const uint SegmentLoad = 1;
    private const uint SegmentNote = 4;
    private const ushort ExtendedNumbering = 0xffff; // PN_XNUM: the real count is in section 0's sh_info

    private ElfCore(bool is64Bit, ushort type, ushort machine, ImmutableArray<ElfLoadSegment> loads, ImmutableArray<ElfNote> notes)
    {
        Is64Bit = is64Bit;
        Type = type;
        Machine = machine;
        LoadSegments = loads;
        Notes = notes;
    }

    public bool Is64Bit { get; }

    /// <summary><c>e_type</c> (4 = ET_CORE).</summary>
    public ushort Type { get; }

    /// <summary><c>e_machine</c>: 62 (EM_X86_64) when QEMU dumped a CPU in long mode, 3 (EM_386) otherwise.</summary>
    public ushort Machine { get; }

    /// <summary>The PT_LOAD segments with a non-zero file size, sorted by physical address.</summary>
    public ImmutableArray<ElfLoadSegment> LoadSegments { get; }

    public ImmutableArray<ElfNote> Notes { get; }

    /// <summary>True when the first bytes are the ELF magic.</summary>
    public static bool HasMagic(byte* data, ulong length) =>
        length >= 4 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';

    /// <summary>Parses the headers of the ELF file held in <paramref name="data"/>.</summary>
    /// <exception cref="ImageFormatException">Not an ELF file, or headers that do not fit the file.</exception>
    public static ElfCore Parse(byte* data, ulong length)
    {
        var file = new Bounded(data, length);
        if (!HasMagic(data, length))
            throw new ImageFormatException("not an ELF file (no ELF magic)");
        if (length < 16)
            throw new ImageFormatException("truncated ELF file: the identification bytes are cut off");
        bool is64 = data[4] switch
        {
            1 => false,
            2 => true,
            _ => throw new ImageFormatException($"unknown ELF class {data[4]}"),
        };
        if (data[5] != 1)
            throw new ImageFormatException(data[5] == 2 ? "big-endian ELF files are not supported" : $"unknown ELF data encoding {data[5]}");

        int headerSize = is64 ? 64 : 52;
        if (length < (ulong)headerSize)
            throw new ImageFormatException($"truncated ELF file: {length} bytes, the ELF header needs {headerSize}");
        ushort type = file.U16(16);
        ushort machine = file.U16(18);
        if (type != TypeCore)
            throw new ImageFormatException($"not an ELF core: e_type {type} ({TypeName(type)}); a memory dump has e_type 4 (ET_CORE)");
        if (!is64 && machine == MachineX86_64)
            throw new ImageFormatException("malformed ELF core: an ELF32 file claims e_machine 62 (x86-64), which only ELF64 cores carry");
        ulong programHeaderOffset = is64 ? file.U64(32) : file.U32(28);
        ulong sectionHeaderOffset = is64 ? file.U64(40) : file.U32(32);
        ushort programHeaderSize = file.U16(is64 ? 54UL : 42UL);
        uint programHeaderCount = file.U16(is64 ? 56UL : 44UL);
        ushort sectionHeaderSize = file.U16(is64 ? 58UL : 46UL);

        if (programHeaderCount == ExtendedNumbering)
        {
            int infoOffset = is64 ? 44 : 28;
            if (sectionHeaderSize < infoOffset + 4 || !file.Holds(sectionHeaderOffset, sectionHeaderSize))
                throw new ImageFormatException("truncated ELF file: the section header holding the program header count is cut off");
            programHeaderCount = file.U32(sectionHeaderOffset + (ulong)infoOffset);
        }
        if (programHeaderCount == 0)
            throw new ImageFormatException("ELF file without program headers: no memory to read");
        int minimumEntry = is64 ? 56 : 32;
        if (programHeaderSize < minimumEntry)
            throw new ImageFormatException($"ELF program header entries of {programHeaderSize} bytes (at least {minimumEntry} expected)");
        if (!file.Holds(programHeaderOffset, (ulong)programHeaderCount * programHeaderSize))
            throw new ImageFormatException($"truncated ELF file: {programHeaderCount} program headers at offset 0x{programHeaderOffset:x} do not fit in {length} bytes");

        var loads = new List<ElfLoadSegment>();
        var notes = ImmutableArray.CreateBuilder<ElfNote>();
        for (uint i = 0; i < programHeaderCount; i++)
        {
            ulong at = programHeaderOffset + (ulong)i * programHeaderSize;
            uint segmentType = file.U32(at);
            ulong offset, virtualAddress, physicalAddress, fileSize, memorySize;
            if (is64)
            {
                offset = file.U64(at + 8);
                virtualAddress = file.U64(at + 16);
                physicalAddress = file.U64(at + 24);
                fileSize = file.U64(at + 32);
                memorySize = file.U64(at + 40);
            }
            else
            {
                offset = file.U32(at + 4);
                virtualAddress = file.U32(at + 8);
                physicalAddress = file.U32(at + 12);
                fileSize = file.U32(at + 16);
                memorySize = file.U32(at + 20);
            }
            if (segmentType is not (SegmentLoad or SegmentNote) || fileSize == 0)
                continue;
            if (!file.Holds(offset, fileSize))
                throw new ImageFormatException(
                    $"truncated ELF file: segment {i} (0x{fileSize:x} bytes at offset 0x{offset:x}) ends past the end of the file (0x{length:x} bytes)");
            if (segmentType == SegmentNote)
                ReadNotes(file, offset, fileSize, notes);
            else
            {
                if (physicalAddress + (fileSize - 1) < physicalAddress) // ending at 2^64 is fine (FlatMemory takes it)
                    throw new ImageFormatException($"ELF segment {i}: physical range 0x{physicalAddress:x} + 0x{fileSize:x} wraps past 2^64");
                loads.Add(new ElfLoadSegment(physicalAddress, virtualAddress, offset, fileSize, memorySize));
            }
        }
        if (loads.Count == 0)
            throw new ImageFormatException("ELF file without PT_LOAD segments: no memory to read");
        loads.Sort((a, b) => a.PhysicalAddress.CompareTo(b.PhysicalAddress));
        for (int i = 1; i < loads.Count; i++)
        {
            // Start - previous Start cannot wrap (sorted), unlike PhysicalEnd, which is 0 for a segment ending at 2^64.
            if (loads[i].PhysicalAddress - loads[i - 1].PhysicalAddress < loads[i - 1].Size)
                throw new ImageFormatException($"ELF PT_LOAD segments overlap at physical address 0x{loads[i].PhysicalAddress:x}");
        }
        return new ElfCore(is64, type, machine, loads.ToImmutableArray(), notes.ToImmutable());
    }

    private static string TypeName(ushort type) => type switch
    {
        0 => "ET_NONE",
        1 => "ET_REL: an object file",
        2 => "ET_EXEC: an executable",
        3 => "ET_DYN: a shared library or executable",
        _ => "unknown",
    };

    /// <summary>
    /// The length of the file the ELF headers at the start of <paramref name="header"/> describe: the furthest end of
    /// the ELF header, the program header table, every segment, the section header table and (when the table is in
    /// view) every section's content. Null when
    /// the headers are not all inside <paramref name="header"/> or are malformed. A compressed core may decompress to
    /// no more than this.
    /// </summary>
    public static ulong? ClaimedLength(ReadOnlySpan<byte> header)
    {
        fixed (byte* data = header)
        {
            var file = new Bounded(data, (ulong)header.Length);
            if (!HasMagic(data, (ulong)header.Length) || header.Length < 16 || data[4] is not (1 or 2))
                return null;
            bool is64 = data[4] == 2;
            int headerSize = is64 ? 64 : 52;
            if (header.Length < headerSize)
                return null;
            ulong programHeaderOffset = is64 ? file.U64(32) : file.U32(28);
            ulong sectionHeaderOffset = is64 ? file.U64(40) : file.U32(32);
            ulong programHeaderSize = file.U16(is64 ? 54UL : 42UL);
            ulong programHeaderCount = file.U16(is64 ? 56UL : 44UL);
            ulong sectionHeaderSize = file.U16(is64 ? 58UL : 46UL);
            ulong sectionHeaderCount = file.U16(is64 ? 60UL : 48UL);
            if (programHeaderCount == ExtendedNumbering || sectionHeaderCount == 0 && sectionHeaderOffset != 0)
            {
                // The real counts are in section 0 (sh_info: program headers, sh_size: sections).
                if (sectionHeaderSize < (is64 ? 64UL : 40UL) || !file.Holds(sectionHeaderOffset, sectionHeaderSize))
                    return null;
                if (programHeaderCount == ExtendedNumbering)
                    programHeaderCount = file.U32(sectionHeaderOffset + (is64 ? 44UL : 28UL));
                if (sectionHeaderCount == 0)
                    sectionHeaderCount = is64 ? file.U64(sectionHeaderOffset + 32) : file.U32(sectionHeaderOffset + 20);
            }
            if (programHeaderSize < (is64 ? 56UL : 32UL) || !file.Holds(programHeaderOffset, programHeaderCount * programHeaderSize))
                return null;
            ulong end = (ulong)headerSize;
            end = Math.Max(end, programHeaderOffset + programHeaderCount * programHeaderSize);
            if (sectionHeaderOffset != 0)
            {
                if (sectionHeaderCount > uint.MaxValue || sectionHeaderOffset > ulong.MaxValue - sectionHeaderCount * sectionHeaderSize)
                    return null;
                end = Math.Max(end, sectionHeaderOffset + sectionHeaderCount * sectionHeaderSize);
                // Section contents (QEMU's .shstrtab sits after the memory) count when the table is in view; a table
                // further on is usually the file's end, its contents before it.
                ulong minimumSection = is64 ? 64UL : 40UL;
                if (sectionHeaderSize >= minimumSection && file.Holds(sectionHeaderOffset, sectionHeaderCount * sectionHeaderSize))
                {
                    for (ulong i = 0; i < sectionHeaderCount; i++)
                    {
                        ulong at = sectionHeaderOffset + i * sectionHeaderSize;
                        const uint NoBits = 8; // SHT_NOBITS: no file content
                        if (file.U32(at + 4) == NoBits)
                            continue;
                        ulong offset = is64 ? file.U64(at + 24) : file.U32(at + 16);
                        ulong size = is64 ? file.U64(at + 32) : file.U32(at + 20);
                        if (offset > ulong.MaxValue - size)
                            return null;
                        end = Math.Max(end, offset + size);
                    }
                }
            }
            for (ulong i = 0; i < programHeaderCount; i++)
            {
                ulong at = programHeaderOffset + i * programHeaderSize;
                ulong offset = is64 ? file.U64(at + 8) : file.U32(at + 4);
                ulong size = is64 ? file.U64(at + 32) : file.U32(at + 16);
                if (offset > ulong.MaxValue - size)
                    return null;
                end = Math.Max(end, offset + size);
            }
            return end;
        }
    }

    /// <summary>The first note with this owner and type, or null.</summary>
    public ElfNote? FindNote(string name, uint type)
    {
        foreach (var note in Notes)
        {
            if (note.Type == type && note.Name == name)
                return note;
        }
        return null;
    }

    // Notes are 4-byte aligned in ELF32 and ELF64 cores alike (Linux and QEMU both write them so).
    private static void ReadNotes(Bounded file, ulong offset, ulong size, ImmutableArray<ElfNote>.Builder notes)
    {
        ulong at = offset, end = offset + size;
        while (end - at >= 12)
        {
            uint nameSize = file.U32(at), descriptorSize = file.U32(at + 4), type = file.U32(at + 8);
            ulong nameAt = at + 12;
            ulong descriptorAt = nameAt + Align4(nameSize);
            ulong next = descriptorAt + Align4(descriptorSize);
            if (next > end)
                throw new ImageFormatException($"malformed ELF note at offset 0x{at:x}: it runs past the end of its segment");
            // The name's terminating NUL is counted in namesz.
            int nameLength = (int)Math.Min(nameSize, 256u);
            while (nameLength > 0 && file.Byte(nameAt + (ulong)nameLength - 1) == 0)
                nameLength--;
            var name = Encoding.ASCII.GetString(file.Pointer(nameAt), nameLength);
            notes.Add(new ElfNote(name, type, descriptorAt, descriptorSize));
            at = next;
        }
    }

    private static ulong Align4(uint value) => ((ulong)value + 3) & ~3UL;

    /// <summary>Reads little-endian values only after checking they lie inside the file.</summary>
    private readonly struct Bounded(byte* data, ulong length)
    {
        public bool Holds(ulong offset, ulong size) => offset <= length && size <= length - offset;

        public byte* Pointer(ulong offset) => data + offset;

        public byte Byte(ulong offset) => Check(offset, 1)[0];

        public ushort U16(ulong offset) => System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(Check(offset, 2), 2));

        public uint U32(ulong offset) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(Check(offset, 4), 4));

        public ulong U64(ulong offset) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(Check(offset, 8), 8));

        private byte* Check(ulong offset, ulong size) =>
            Holds(offset, size) ? data + offset : throw new ImageFormatException($"truncated ELF file: {size} bytes at offset 0x{offset:x} are past its end (0x{length:x} bytes)");
    }
}
