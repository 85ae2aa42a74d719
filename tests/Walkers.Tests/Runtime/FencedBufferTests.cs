using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Walkers.Tests.Runtime;

/// <summary>
/// The memory the walker and operation tests run over is fenced: the page before and the page after are
/// inaccessible, so a read or write out of bounds kills the run instead of passing unnoticed.
/// </summary>
public sealed unsafe class FencedBufferTests
{
    /// <summary>The permissions (e.g. "rw-p", "---p") of the mapping holding an address, from /proc/self/maps.</summary>
    private static string Protection(nuint address)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var fields = line.Split(' ', 3);
            var range = fields[0].Split('-');
            nuint from = nuint.Parse(range[0], NumberStyles.HexNumber), to = nuint.Parse(range[1], NumberStyles.HexNumber);
            if (address >= from && address < to)
                return fields[1];
        }
        return "unmapped";
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(3 * 4096)]
    [InlineData(1 << 20)]
    public void PagesAroundAWholePageBufferAreInaccessible(int length)
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var buffer = new FencedBuffer((nuint)length);
        Assert.True(buffer.IsFenced);
        nuint first = (nuint)buffer.Pointer, end = first + (nuint)length;
        Assert.Equal("---p", Protection(first - 1));
        Assert.Equal("---p", Protection(end));
        Assert.StartsWith("rw", Protection(first));
        Assert.StartsWith("rw", Protection(end - 1));
        Assert.True(new ReadOnlySpan<byte>(buffer.Pointer, length).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void OddLengthEndsWithinEightBytesOfTheFence()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var buffer = new FencedBuffer(4096 + 100);
        nuint end = (nuint)buffer.Pointer + 4096 + 100;
        Assert.Equal(0u, (nuint)buffer.Pointer % 8);
        Assert.Equal("---p", Protection(end + 8));
        Assert.StartsWith("rw", Protection(end - 1));
    }

    [Fact]
    public void SimulatedMemoryIsFenced()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var memory = new SimulatedMemory(16 * 4096, start: 0x10000);
        var view = memory.View;
        Assert.Equal("---p", Protection((nuint)view.Base - 1));
        Assert.Equal("---p", Protection((nuint)view.Base + (nuint)view.Length));
    }
}
