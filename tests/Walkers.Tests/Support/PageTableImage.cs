using System;
using System.Linq;
using System.Numerics;
using CsCheck;

namespace Walkers.Tests.Support;

/// <summary>One entry written into a frame of a random image: <c>Frame</c> -1 is the root table.</summary>
public readonly record struct EntryWrite(int Frame, int Index, ulong Value)
{
    public override string ToString() => $"{(Frame < 0 ? "root" : "f" + Frame)}[{Index}]=0x{Value:x}";
}

/// <summary>
/// A random page-table image: <see cref="TableFrames"/> frames of <see cref="FrameBytes"/> (the largest table of the
/// layout) allocated up front (frame 0 holds the root, at <see cref="RootOffset"/>), <see cref="SpareFrames"/> left
/// free for visitors that install tables, and
/// raw entry values written at random (mostly low/high/middle) indices. A frame may be reached at any level
/// and through several entries; the entries are only bits, their meaning depends on where the walk meets them.
/// </summary>
public sealed record ImageSpec(ulong Start, int TableFrames, int SpareFrames, int RootOffset, EntryWrite[] Writes, uint FrameBytes = SimulatedMemory.FrameSize)
{
    public ulong Size => (ulong)(TableFrames + SpareFrames) * FrameBytes;

    public ulong Frame(int index) => Start + (ulong)index * FrameBytes;

    public ulong Root => Start + (ulong)RootOffset;

    public override string ToString() =>
        $"start 0x{Start:x}, {TableFrames}+{SpareFrames} frames of 0x{FrameBytes:x}, root 0x{Root:x}, writes [{string.Join(", ", Writes)}]";
}

/// <summary>A random range, with the reason it was picked (for failure messages).</summary>
public readonly record struct WalkRange(ulong From, ulong To, string Kind)
{
    public override string ToString() => $"[0x{From:x}, 0x{To:x}] ({Kind})";
}

/// <summary>A materialised <see cref="ImageSpec"/> in its own <see cref="SimulatedMemory"/>.</summary>
public sealed unsafe class Image : IDisposable
{
    public Image(ImageSpec spec, LevelTable layout)
    {
        Spec = spec;
        Memory = new SimulatedMemory(spec.Size, spec.Start);
        for (int i = 0; i < spec.TableFrames; i++)
            Memory.AllocateTable(spec.FrameBytes); // frames are handed out in order: frame i is Start + i * FrameBytes
        int entryBytes = layout.EntryBytes;
        foreach (var write in spec.Writes)
        {
            ulong address = write.Frame < 0
                ? spec.Root + (ulong)(write.Index * entryBytes)
                : spec.Frame(write.Frame) + (ulong)(write.Index * entryBytes);
            byte* p = Memory.Pointer(address, (uint)entryBytes);
            if (entryBytes == 4)
                *(uint*)p = (uint)write.Value;
            else
                *(ulong*)p = write.Value;
        }
    }

    public ImageSpec Spec { get; }
    public SimulatedMemory Memory { get; }
    public FlatMemory View => Memory.View;
    public ulong Root => Spec.Root;

    /// <summary>The physical address of an entry pointer handed to a visitor.</summary>
    public ulong PhysicalOf(void* entry) => (ulong)((byte*)entry - View.Base) + View.Start;

    public ReadOnlySpan<byte> Bytes => new(View.Base, checked((int)View.Length));

    public void Dispose() => Memory.Dispose();
}

/// <summary>CsCheck generators for images and ranges of one layout.</summary>
public static class ImageGen
{
    /// <summary>Indices that matter most (first, second, last, middle...), mixed with uniform ones.</summary>
    public static Gen<int> Index(int entries) =>
        Gen.Frequency(
            (3, Gen.OneOf(0, 1, 2, entries - 1, entries - 2, entries / 2, entries / 2 - 1)),
            (2, Gen.Int[0, entries - 1]));

    /// <summary>
    /// Raw entry values: absent (zero or garbage), tables inside memory, huge pages, pages anywhere, tables outside
    /// memory, and raw present values of any encoding (the layout's faults among them).
    /// </summary>
    public static Gen<ulong> EntryValue(LevelTable layout, ulong start, int tableFrames, ulong end, uint frameBytes)
    {
        ulong present = layout.PresentMask;
        var flags = Gen.ULong.Select(f => f & ~layout.AddressMask & ~present & ~layout.TableMask);
        var frame = Gen.Int[0, tableFrames - 1].Select(k => start + (ulong)k * frameBytes);
        var anywhere = Gen.ULong;
        var outsideChoices = new[]
        {
            Gen.Const(end),
            Gen.Int[1, 64].Select(k => end + (ulong)k * frameBytes),
            Gen.Const(layout.EntryAddress(layout.AddressMask)),
            Gen.Const(start == 0 ? end : start - frameBytes),
        };
        var outside = Gen.OneOf(outsideChoices);
        return Gen.Frequency(
            (3, Gen.Const(0UL)),
            (1, Gen.ULong.Select(v => v & ~present)),
            (6, Gen.Select(frame, flags, (a, f) => layout.TableShaped(layout.Encode(a) | f | present))),
            (2, Gen.Select(anywhere, flags, (a, f) => layout.LeafShaped(layout.Encode(a) | f | present))),
            (2, Gen.Select(frame, flags, (a, f) => layout.LeafShaped(layout.Encode(a) | f | present))),
            (2, Gen.Select(anywhere, flags, (a, f) => layout.TableShaped(layout.Encode(a) | f | present))),
            (2, Gen.Select(outside, flags, (a, f) => layout.TableShaped(layout.Encode(a) | f | present))),
            (2, Gen.Select(frame, Gen.ULong, (a, raw) => layout.Encode(a) | (raw & ~layout.AddressMask) | present)));
    }

    /// <summary>The frame size of a layout's images: its largest table, at least 4 KiB.</summary>
    public static uint FrameBytes(LevelTable layout)
    {
        uint bytes = SimulatedMemory.FrameSize;
        for (int level = 1; level <= layout.Levels; level++)
            bytes = Math.Max(bytes, layout.TableBytes(level));
        return bytes;
    }

    public static Gen<ImageSpec> Image(LevelTable layout)
    {
        int top = layout.Levels;
        int topEntries = layout[top].Entries;
        uint frameBytes = FrameBytes(layout);
        int lowEntries = (int)(frameBytes / (uint)layout.EntryBytes); // an index anywhere in a frame
        uint rootBytes = layout.TableBytes(top);
        int rootSlots = (int)(frameBytes / rootBytes);
        // A start high in physical memory where the entries can hold it: the second address field of 52-bit layouts.
        ulong high = 0xF_0000_0000_0000;
        var starts = layout.EntryAddress(layout.Encode(high)) == high ? new[] { 0UL, 0x10_0000UL, 0x4000_0000UL, high } : new[] { 0UL, 0x10_0000UL, 0x4000_0000UL };
        var start = Gen.OneOf(starts);
        return Gen.Select(start, Gen.Int[1, 12], Gen.Int[0, rootSlots - 1])
            .SelectMany((s, frames, rootSlot) =>
            {
                ulong end = s + (ulong)(frames + SpareFrames) * frameBytes;
                var value = EntryValue(layout, s, frames, end, frameBytes);
                var rootWrite = Gen.Select(Index(topEntries), value, (i, v) => new EntryWrite(-1, i, v));
                var frameWrite = Gen.Select(Gen.Int[0, frames - 1], Index(lowEntries), value, (f, i, v) => new EntryWrite(f, i, v));
                // Wide tables get proportionally more writes, so walks still reach level 1 as often as in 512-entry tables.
                int perFrame = 5 * Math.Max(1, lowEntries / 512);
                return Gen.Select(rootWrite.Array[1, Math.Min(8, topEntries * 2)], frameWrite.Array[0, perFrame * frames],
                    (r, w) => new ImageSpec(s, frames, SpareFrames, rootSlot * (int)rootBytes, r.Concat(w).ToArray(), frameBytes));
            });
    }

    public const int SpareFrames = 8;

    /// <summary>An address built level by level from interesting indices, plus an offset in its page; canonical.</summary>
    public static Gen<ulong> Address(LevelTable layout)
    {
        var gens = Enumerable.Range(1, layout.Levels)
            .Select(level => Index(layout[level].Entries).Select(i => (ulong)i << layout[level].Shift))
            .ToArray();
        Gen<ulong> linear = gens[0];
        for (int i = 1; i < gens.Length; i++)
            linear = Gen.Select(linear, gens[i], (a, b) => a | b);
        var offset = Gen.Frequency((3, Gen.Const(0UL)), (1, Gen.ULong[0, (1UL << layout.PageShift) - 1]));
        return Gen.Select(linear, offset, (a, o) => layout.Canonical(a | o));
    }

    public static Gen<WalkRange> Range(LevelTable layout)
    {
        var address = Address(layout);
        int bits = layout.VirtualAddressBits;
        ulong lowLast = layout.Half switch
        {
            AddressHalf.SignExtended => (1UL << (bits - 1)) - 1,
            AddressHalf.High => ulong.MaxValue,
            _ => (1UL << bits) - 1,
        };
        ulong highFirst = layout.Half switch
        {
            AddressHalf.SignExtended => ~lowLast,
            AddressHalf.High => ~((1UL << bits) - 1),
            _ => 0,
        };
        var length = Gen.Frequency(
            (2, Gen.Const(0UL)),
            (3, Gen.ULong[0, 0x1_0000]),
            (2, Gen.ULong[0, 1UL << 23]),
            (1, Gen.ULong[0, 1UL << 33]));
        return Gen.Frequency(
            (4, Gen.Select(address, address, (a, b) => new WalkRange(Math.Min(a, b), Math.Max(a, b), "two addresses"))),
            (1, Gen.Select(address, address, (a, b) => new WalkRange(a, b, "two addresses, unordered"))),
            (4, Gen.Select(address, length, (a, n) => new WalkRange(a, a + n, "address + length"))),
            (2, address.Select(a => new WalkRange(a, a, "single address"))),
            (1, Gen.Const(new WalkRange(0, ulong.MaxValue, "everything"))),
            (1, address.Select(a => new WalkRange(a, ulong.MaxValue, "to the top"))),
            (1, address.Select(a => new WalkRange(a, lowLast, "to the end of the low half"))),
            (1, address.Select(a => new WalkRange(0, a, "from zero"))),
            (1, Gen.Select(address, address, (a, b) => new WalkRange(a & lowLast, b | highFirst, "across the hole"))),
            (1, Gen.Select(Gen.ULong, Gen.ULong, (a, b) => new WalkRange(a, b, "raw"))),
            (1, Gen.Select(Gen.ULong, address, (a, b) => new WalkRange(Math.Min(a, b), Math.Max(a, b), "raw and address"))));
    }
}

/// <summary>Entry bits in a layout's own format (address fields, table-vs-leaf rule).</summary>
public static class EntryFormat
{
    /// <summary>The address fields holding <paramref name="physicalAddress"/>.</summary>
    public static ulong Encode(this LevelTable layout, ulong physicalAddress) => layout.MakeEntry(physicalAddress, 0);

    /// <summary><paramref name="entry"/> with its table-rule bits saying "table" (x86: PS clear; AArch64: bit 1 set; RISC-V: R/W/X clear).</summary>
    public static ulong TableShaped(this LevelTable layout, ulong entry) =>
        (entry & ~layout.TableMask) | layout.TableValue;

    /// <summary><paramref name="entry"/> with its table-rule bits saying "leaf" (x86: PS set; AArch64: bit 1 clear; RISC-V: R set).</summary>
    public static ulong LeafShaped(this LevelTable layout, ulong entry) =>
        (entry & ~layout.TableMask) | (layout.TableValue ^ (layout.TableMask & (ulong)-(long)layout.TableMask));
}
