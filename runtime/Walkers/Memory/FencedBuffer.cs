using System;
using System.Runtime.InteropServices;

namespace Walkers;

/// <summary>
/// Zeroed native memory fenced by an inaccessible page on each side (Linux and macOS: an anonymous mapping whose first
/// and last pages are PROT_NONE), so a read or write one byte outside it faults at once instead of touching a
/// neighbour. A length that is a whole number of pages ends exactly at the upper fence. Pages stay uncommitted until
/// written, so a large buffer costs only what is used. Elsewhere it is plain zeroed memory.
/// </summary>
public sealed unsafe partial class FencedBuffer : IDisposable
{
    private const int ProtectionNone = 0, ProtectionReadWrite = 3;
    private const int MapPrivate = 0x02;
    private static readonly int MapAnonymous = OperatingSystem.IsMacOS() ? 0x1000 : 0x20;
    private static readonly int MapNoReserve = OperatingSystem.IsLinux() ? 0x4000 : 0;

    private byte* _mapping;
    private nuint _mappingLength;

    /// <exception cref="OutOfMemoryException">The system cannot provide the address space.</exception>
    public FencedBuffer(nuint length)
    {
        Length = length;
        nuint page = (nuint)Environment.SystemPageSize;
        nuint body = (Math.Max(length, 1) + page - 1) & ~(page - 1);
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            _mapping = (byte*)NativeMemory.AllocZeroed(body);
            Pointer = _mapping;
            return;
        }
        _mappingLength = body + 2 * page;
        if (Recycled.TryTake(_mappingLength, out _mapping))
        {
            NativeMemory.Clear(_mapping + page, body);
            Pointer = _mapping + page + ((body - Math.Max(length, 1)) & ~(nuint)7);
            return;
        }
        // PROT_NONE everywhere, then open the body: the two fences are never accessible.
        void* mapping = Mmap(null, _mappingLength, ProtectionNone, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (mapping == (void*)-1)
            throw new OutOfMemoryException($"No address space for {length} bytes of fenced memory.");
        _mapping = (byte*)mapping;
        if (Mprotect(_mapping + page, body, ProtectionReadWrite) != 0)
        {
            _ = Munmap(_mapping, _mappingLength);
            _mapping = null;
            throw new OutOfMemoryException($"Cannot make {length} bytes of fenced memory writable.");
        }
        // The usable bytes end at the upper fence (to within the 8 bytes that keep the start aligned).
        Pointer = _mapping + page + ((body - Math.Max(length, 1)) & ~(nuint)7);
    }

    /// <summary>The first usable byte; the usable bytes end at (or within 8 bytes of) the upper fence.</summary>
    public byte* Pointer { get; private set; }

    public nuint Length { get; }

    /// <summary>The two fences are really inaccessible (false where the system has no page protection).</summary>
    public bool IsFenced => _mappingLength != 0;

    public void Dispose()
    {
        if (_mapping is null)
            return;
        if (_mappingLength == 0)
            NativeMemory.Free(_mapping);
        else if (!Recycled.TryKeep(_mapping, _mappingLength))
            _ = Munmap(_mapping, _mappingLength);
        _mapping = null;
        Pointer = null;
    }

    /// <summary>
    /// Small mappings kept for reuse: tests and simulators make thousands of short-lived memories, and a fresh
    /// mapping costs a page fault per page where a reused one costs a clear.
    /// </summary>
    private static class Recycled
    {
        private const nuint MaxKeptLength = 4 << 20;
        private const int MaxKept = 64;
        private static readonly System.Collections.Generic.Dictionary<nuint, System.Collections.Generic.Stack<nint>> Kept = new();
        private static int s_count;

        public static bool TryTake(nuint length, out byte* mapping)
        {
            lock (Kept)
            {
                if (Kept.TryGetValue(length, out var mappings) && mappings.TryPop(out nint kept))
                {
                    s_count--;
                    mapping = (byte*)kept;
                    return true;
                }
            }
            mapping = null;
            return false;
        }

        public static bool TryKeep(byte* mapping, nuint length)
        {
            if (length > MaxKeptLength)
                return false;
            lock (Kept)
            {
                if (s_count >= MaxKept)
                    return false;
                if (!Kept.TryGetValue(length, out var mappings))
                    Kept[length] = mappings = new();
                mappings.Push((nint)mapping);
                s_count++;
                return true;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int descriptor, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
