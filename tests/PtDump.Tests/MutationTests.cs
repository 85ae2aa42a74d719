using System;
using System.IO;

namespace Walkers.PtDump.Tests;

/// <summary>
/// Corrupt images: random byte flips and cuts of a small ELF core with live page tables. Whatever the damage,
/// ptdump ends with exit 0 or 1 and at most a one-line message, never an internal error or a crash.
/// </summary>
public sealed class MutationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Core()
    {
        var memory = new SyntheticMemory(0x8000);
        memory.Set64(0x1000, 0x2000 | 0x7);
        memory.Set64(0x1000 + 511 * 8, 0x3000 | 0x7);
        memory.Set64(0x2000, 0x4000 | 0x7);
        memory.Set64(0x3000 + 510 * 8, 0x5000 | 0x7);
        memory.Set64(0x4000 + 8, 0x6000 | 0x7);
        memory.Set64(0x5000, 0x0020_0000 | 0xe3);
        for (int i = 0; i < 512; i++)
            memory.Set64(0x6000 + (ulong)i * 8, (ulong)(0x10_0000 + i * 0x1000) | 0x67);
        return memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true);
    }

    [Theory]
    [InlineData("qemu-tlb", 1)]
    [InlineData("qemu-mem", 2)]
    [InlineData("linux", 3)]
    [InlineData("json", 4)]
    public void FlippedBytesGiveAListingOrAOneLineError(string format, int seed)
    {
        var original = Core();
        var random = new Random(seed);
        var path = Path.Combine(_temp.Path, "mutant.elf");
        for (int round = 0; round < 300; round++)
        {
            var mutant = (byte[])original.Clone();
            int flips = random.Next(1, 8);
            for (int i = 0; i < flips; i++)
            {
                // Half the flips hit the headers and notes, half the page tables.
                int at = random.Next(2) == 0 ? random.Next(0x300) : 0x300 + random.Next(mutant.Length - 0x300);
                mutant[at] = (byte)random.Next(256);
            }
            if (random.Next(8) == 0)
                mutant = mutant[..random.Next(mutant.Length)];
            File.WriteAllBytes(path, mutant);
            var (exit, _, stderr) = Cli.Run(path, "--format", format);
            Assert.True(exit is 0 or 1, $"round {round}: exit {exit}, {stderr}");
            if (exit == 1)
                Cli.AssertOneLineError(stderr);
            Assert.DoesNotContain("internal error", stderr);
        }
    }

    [Fact]
    public void TranslateOnFlippedTablesGivesAnAnswerOrAOneLineError()
    {
        var original = Core();
        var random = new Random(5);
        var path = Path.Combine(_temp.Path, "mutant.elf");
        for (int round = 0; round < 300; round++)
        {
            var mutant = (byte[])original.Clone();
            for (int i = 0; i < 4; i++)
                mutant[0x300 + random.Next(mutant.Length - 0x300)] = (byte)random.Next(256);
            File.WriteAllBytes(path, mutant);
            var (exit, stdout, stderr) = Cli.Run("translate", path, "1000", "201000", "ffffff7fc0000000", "ffffff7fc0000fff");
            Assert.True(exit is 0 or 1, $"round {round}: exit {exit}, {stderr}");
            Assert.Equal(4, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.DoesNotContain("internal error", stderr);
        }
    }
}
