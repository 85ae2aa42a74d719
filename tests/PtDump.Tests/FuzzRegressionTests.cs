using System;
using System.Buffers.Binary;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>
/// Defects the fuzz campaigns (tests/Walkers.Fuzz, docs/fuzzing.md) found in the image readers and ptdump, each
/// pinned here with a minimal input; the fuzzer's own crashing inputs are replayed from
/// tests/Walkers.Fuzz/corpus/images/regressions by Walkers.Fuzz.Tests.
/// </summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>An ELF64 core header (no note) with one PT_LOAD at <paramref name="offset"/> of <paramref name="size"/> bytes: what it claims is offset + size.</summary>
    private static byte[] ClaimingHeader(ulong offset, ulong size)
    {
        var file = new byte[64 + 56];
        "\x7f"u8.CopyTo(file);
        "ELF"u8.CopyTo(file.AsSpan(1));
        file[4] = 2;
        file[5] = 1;
        file[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(16), 4);   // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(18), 62);  // x86-64
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(32), 64);  // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(56), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(64), 1);   // PT_LOAD
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 8), offset);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 32), size);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 40), size);
        return file;
    }

    private static byte[] Compressed(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>
    /// D2 (fixed): a compressed core whose headers claim more than a file can hold (past 2^63, or past the file system's
    /// limit) made the temporary file's SetLength throw ArgumentOutOfRangeException, which escaped MemoryImage.Open
    /// and made ptdump print "internal error: ArgumentOutOfRangeException".
    /// </summary>
    [Theory]
    [InlineData(0x8000_0000_0000_0000UL)]  // (long)bytes is negative
    [InlineData(0x7FFF_FFFF_FFFF_0000UL)]  // past every file system's limit
    [InlineData(0x0000_4000_0000_0000UL)]  // 64 TiB: past ext4's 16 TiB, fine on tmpfs
    public void Compressed_core_claiming_more_than_a_file_can_hold_is_bad_input(ulong offset)
    {
        var path = _temp.File("claims.elf.zst", Compressed(ClaimingHeader(offset, 0x1000)));

        // The readers: ImageFormatException (or an image, where the file system takes the sparse file), nothing else.
        try
        {
            using var image = MemoryImage.Open(path, new MemoryImageOptions { InMemoryLimit = 1 << 20, TemporaryDirectory = _temp.Path });
        }
        catch (ImageFormatException e)
        {
            Assert.DoesNotContain("\n", e.Message);
        }

        // ptdump, which decompresses to a temporary file past half the memory: one line, exit 1.
        var (exit, _, stderr) = Cli.Run(path);
        Assert.DoesNotContain("internal error", stderr);
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
    }
}
