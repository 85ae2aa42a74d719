using System;
using Walkers;

namespace Walkers.PtDump.Roots;

/// <summary>One whole 4 KiB page of the image, valid while the image is open.</summary>
internal readonly unsafe struct ImagePage(ulong address, byte* data)
{
    public ulong Address { get; } = address;

    public byte* Data { get; } = data;

    public ReadOnlySpan<byte> Bytes => new(Data, ImagePages.PageBytes);

    public bool IsZero => !Bytes.ContainsAnyExcept((byte)0);
}

/// <summary>
/// The image as the scanner sees it: the 4 KiB frames lying wholly inside one segment (a page straddling two
/// segments is outside, as for <see cref="SegmentedMemory"/>), the RAM floor and the cut-down test (rules.md §0).
/// Every read goes through <see cref="At"/>, which checks it against the segments.
/// </summary>
internal sealed unsafe class ImagePages
{
    public const int PageBytes = 4096;
    public const ulong PageMask = PageBytes - 1;

    private const ulong Gigabyte = 1UL << 30;
    private const ulong Megabyte = 1UL << 20;

    private readonly SegmentedMemory _memory;

    public ImagePages(SegmentedMemory memory)
    {
        _memory = memory;
        var segments = memory.Segments;
        ulong? lowestBig = null;
        foreach (var segment in segments)
        {
            TotalBytes += segment.Length;
            if (segment.Length >= Megabyte)
                lowestBig = Math.Min(lowestBig ?? ulong.MaxValue, segment.Start);
        }
        // The boot ROM (riscv virt: 0x1000) is not RAM: the floor comes from the big segments when there are some.
        ulong lowest = lowestBig ?? (segments.IsEmpty ? 0 : segments[0].Start);
        RamFloor = lowest & ~(Gigabyte - 1);
        IsCutDown = segments.Length > 4 && TotalBytes < 64 * Megabyte;
    }

    /// <summary>Bytes in all segments.</summary>
    public ulong TotalBytes { get; }

    /// <summary>Mapped frames are expected at or above this PA: the lowest segment of 1 MiB or more, down to 1 GiB.</summary>
    public ulong RamFloor { get; }

    /// <summary>A tables-only cut-down: more than 4 segments and less than 64 MiB.</summary>
    public bool IsCutDown { get; }

    /// <summary>The <paramref name="length"/> bytes at <paramref name="physicalAddress"/>, or null unless they lie inside one segment.</summary>
    public byte* At(ulong physicalAddress, int length) => (byte*)_memory.At(physicalAddress, (uint)length);

    public bool HasPage(ulong physicalAddress) => At(physicalAddress, PageBytes) is not null;

    public bool IsZeroPage(ulong physicalAddress)
    {
        byte* page = At(physicalAddress, PageBytes);
        return page is not null && new ImagePage(physicalAddress, page).IsZero;
    }

    /// <summary>Every whole page, in PA order.</summary>
    public Enumerator GetEnumerator() => new(_memory.Segments);

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<FlatMemory> _segments;
        private int _segment;
        private ulong _offset; // of the next page in the current segment

        internal Enumerator(ReadOnlySpan<FlatMemory> segments)
        {
            _segments = segments;
            if (!segments.IsEmpty)
                _offset = FirstPageOffset(segments[0]);
        }

        public ImagePage Current { get; private set; }

        public bool MoveNext()
        {
            while (_segment < _segments.Length)
            {
                var segment = _segments[_segment];
                // Offsets, not end addresses: a segment may end at 2^64.
                if (_offset <= segment.Length && segment.Length - _offset >= PageBytes)
                {
                    Current = new ImagePage(segment.Start + _offset, segment.Base + _offset);
                    _offset += PageBytes;
                    return true;
                }
                if (++_segment < _segments.Length)
                    _offset = FirstPageOffset(_segments[_segment]);
            }
            return false;
        }

        private static ulong FirstPageOffset(FlatMemory segment) => (0 - segment.Start) & PageMask;
    }
}
