using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using CsCheck;
using Walkers.Images;

namespace Walkers.Fuzz;

/// <summary>
/// The image readers and ptdump end to end. Input: one byte choosing a command line, then the file. The file is
/// opened with <see cref="MemoryImage"/> (ELF core, raw, zstd of either; both zstd decoders must agree), then ptdump
/// runs on it in-process.
/// Contract: the readers throw nothing but <see cref="ImageFormatException"/> and give segments inside the data;
/// ptdump exits 0, 1 or 2 (never 130: the run is cancelled after <see cref="RunTimeout"/>), every stderr line starts
/// "ptdump: ", never "internal error", a failure says why in one line (a notice may precede it), and the output is
/// bounded by the entries the walk may visit (levels x entries of the distinct tables, at most 5 x bytes / 4).
/// </summary>
public static unsafe class ImagesTarget
{
    public const int MaxInputBytes = 1 << 20;

    /// <summary>Inputs that decompress to more are skipped: zstd bombs are HostileFileTests' job, and cost time, not coverage.</summary>
    public const ulong MaxDecompressedBytes = 64 << 20;

    public static TimeSpan RunTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The command lines (IMAGE stands for the file). Seeds put the root tables at 0x1000.</summary>
    public static readonly string[][] ArgumentSets =
    [
        ["IMAGE"],
        ["IMAGE", "--format", "qemu-tlb"],
        ["IMAGE", "--format", "qemu-mem"],
        ["IMAGE", "--format", "linux"],
        ["IMAGE", "--format", "json"],
        ["translate", "IMAGE", "0", "1000", "200000", "7fffffffe000", "ffff888000001000", "ffffffff81000000", "c0000000", "ffffffffffffffff"],
        ["roots", "IMAGE"],
        ["roots", "IMAGE", "--format", "json"],
        ["list", "IMAGE", "--cr3", "0x1000", "--mode", "4level"],
        ["IMAGE", "--cr3", "0x1000", "--mode", "pae", "--format", "qemu-mem"],
        ["IMAGE", "--cr3", "0x1000", "--mode", "legacy", "--format", "linux"],
        ["IMAGE", "--cr3", "0x1000", "--mode", "5level", "--format", "json"],
        ["IMAGE", "--satp", "0x8000000000000001", "--format", "qemu-mem"],
        ["IMAGE", "--arch", "riscv", "--satp", "0x9000000000000001", "--format", "json"],
        ["IMAGE", "--ttbr0", "0x1000", "--ttbr1", "0x2000", "--tcr", "0x80100010", "--format", "json"],
        ["IMAGE", "--ttbr0", "0x1000", "--ttbr1", "0x2000", "--tcr", "0x80100010", "--format", "linux"],
        ["IMAGE", "--range", "ffff800000000000-", "--format", "linux"],
        ["IMAGE", "--range", "0-80000000", "--format", "qemu-tlb"],
        ["translate", "IMAGE", "--cr3", "0x1000", "--mode", "4level", "0", "1000", "ffffffffffffffff", "fffff000"],
        ["translate", "IMAGE", "--satp", "0x8000000000000001", "0", "3fffffffff", "ffffffc000000000"],
        ["roots", "IMAGE", "--arch", "x86"],
        ["roots", "IMAGE", "--arch", "riscv"],
        ["roots", "IMAGE", "--arch", "arm64", "--format", "json"],
        ["IMAGE", "--arch", "arm64", "--ttbr1", "0x1000", "--tcr", "0x80100010"],
    ];

    private static readonly string Scratch = MakeScratch();

    private static string MakeScratch()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        return Path.Combine(root, $"walkers-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}.img");
    }

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2 || input.Length > MaxInputBytes)
            return;
        var arguments = ArgumentSets[input[0] % ArgumentSets.Length];
        var file = input[1..];
        if (!SmallEnough(file))
            return;
        File.WriteAllBytes(Scratch, file.ToArray());
        try
        {
            ulong length = CheckReaders();
            RunPtDump(arguments, length);
        }
        finally
        {
            File.Delete(Scratch);
        }
    }

    /// <summary>Opens the file as the readers would; returns the decompressed length (0 when refused).</summary>
    private static ulong CheckReaders()
    {
        MemoryImage image;
        try
        {
            image = MemoryImage.Open(Scratch, new MemoryImageOptions { AllowRaw = true, Zstd = ManagedZstd.Instance, MaxRawBytes = MaxDecompressedBytes });
        }
        catch (ImageFormatException e)
        {
            Check.That(e.Message.Length > 0 && !e.Message.Contains('\n'), $"an ImageFormatException message of {e.Message.Length} chars, or several lines: {e.Message}");
            if (NativeZstd.Instance is { } native)
                Agree(native, refused: true, null, e.Message);
            return 0;
        }
        using (image)
        {
            Check.That(image.Length > 0 && image.Data != null, "an image opened with no data");
            Check.That(image.Kind == ImageKind.ElfCore == image.Elf is not null, "Kind and Elf disagree");
            byte* end = image.Data + image.Length;
            foreach (var segment in image.Memory.Segments)
            {
                Check.That(segment.Length == 0 || segment.Base >= image.Data && segment.Base <= end && segment.Length <= (ulong)(end - segment.Base),
                    $"segment at physical 0x{segment.Start:x} (+0x{segment.Length:x}) lies outside the image's data");
                if (segment.Length > 0)
                {
                    // Touch both ends: a segment past the mapping faults here (the fenced buffer, or past the mapped file).
                    _ = segment.Base[0] + segment.Base[segment.Length - 1];
                }
            }
            if (image.Elf is { } elf)
            {
                foreach (var note in elf.Notes)
                    _ = image.NoteDescriptor(note).Length;
            }
            if (image.WasCompressed && NativeZstd.Instance is { } native)
                Agree(native, refused: false, image, null);
            return image.Length;
        }
    }

    /// <summary>The system's libzstd must take or refuse what the managed port took or refused, with the same bytes.</summary>
    private static void Agree(NativeZstd native, bool refused, MemoryImage? managed, string? managedMessage)
    {
        MemoryImage other;
        try
        {
            other = MemoryImage.Open(Scratch, new MemoryImageOptions { AllowRaw = true, Zstd = native, MaxRawBytes = MaxDecompressedBytes });
        }
        catch (ImageFormatException e)
        {
            Check.That(refused, $"libzstd refused an image the managed decoder opened: {e.Message}");
            return;
        }
        using (other)
        {
            if (!other.WasCompressed)
                return; // not a zstd stream at all: the refusal was about the content, which neither decoder touched
            if (refused && managedMessage?.EndsWith("Data corruption detected", StringComparison.Ordinal) == true)
                throw new KnownDefect("D3", $"libzstd opened a compressed image the managed decoder refused: {managedMessage}");
            Check.That(!refused, $"libzstd opened a compressed image the managed decoder refused: {managedMessage}");
            Check.That(other.Length == managed!.Length, $"the decoders disagree on the length: libzstd {other.Length}, managed {managed.Length}");
            Check.That(new ReadOnlySpan<byte>(other.Data, (int)other.Length).SequenceEqual(new ReadOnlySpan<byte>(managed.Data, (int)managed.Length)),
                "the decoders disagree on the bytes");
        }
    }

    /// <summary>False for a zstd stream that decompresses past <see cref="MaxDecompressedBytes"/> (a bomb: skipped).</summary>
    private static bool SmallEnough(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4 || file[0] != 0x28 || file[1] != 0xb5 || file[2] != 0x2f || file[3] != 0xfd)
            return true;
        const int Piece = 1 << 20;
        byte* scratch = (byte*)NativeMemory.Alloc(Piece);
        try
        {
            fixed (byte* data = file)
            {
                using var stream = ManagedZstd.Instance.Open();
                var input = new ZstdBuffer(data, (nuint)file.Length);
                ulong total = 0;
                while (total <= MaxDecompressedBytes)
                {
                    var output = new ZstdBuffer(scratch, Piece);
                    nuint consumed = input.Position;
                    try
                    {
                        stream.Decompress(ref input, ref output);
                    }
                    catch (ImageFormatException)
                    {
                        return true; // corrupt: the readers say so
                    }
                    total += output.Position;
                    if (output.Position == 0 && input.Position == consumed)
                        return true;
                }
                return false;
            }
        }
        finally
        {
            NativeMemory.Free(scratch);
        }
    }

    private static void RunPtDump(string[] template, ulong imageLength)
    {
        var args = Array.ConvertAll(template, a => a == "IMAGE" ? Scratch : a);
        // Every line comes from an entry the walk visited (or a header, or a table reported outside): 5 x entries, 32-bit entries at worst.
        long bound = 400L * (5L * (long)(imageLength / 4) + 1000);
        var stdout = new BoundedWriter(bound);
        var stderr = new StringWriter { NewLine = "\n" };
        using var timeout = new CancellationTokenSource(RunTimeout);
        int exit = PtDump.Program.Run(args, stdout, stderr, timeout.Token);
        string errors = stderr.ToString();
        string command = string.Join(' ', template);
        Check.That(!stdout.Overflowed, $"ptdump {command}: more than {bound} chars of output from an image of {imageLength} bytes");
        Check.That(exit != PtDump.Program.ExitInterrupted, $"ptdump {command}: still running after {RunTimeout.TotalSeconds} s");
        Check.That(exit is PtDump.Program.ExitOk or PtDump.Program.ExitBadInput or PtDump.Program.ExitUsage, $"ptdump {command}: exit {exit}");
        Check.That(!errors.Contains("internal error", StringComparison.Ordinal), $"ptdump {command}: {errors.TrimEnd()}");
        Check.That(!errors.Contains('\t') && !errors.Contains("   at ", StringComparison.Ordinal) && !errors.Contains("Exception", StringComparison.Ordinal),
            $"ptdump {command}: a stack trace or exception name on stderr: {errors}");
        var lines = errors.Length == 0 ? [] : errors.TrimEnd('\n').Split('\n');
        Check.That(errors.Length == 0 || errors.EndsWith('\n'), $"ptdump {command}: stderr does not end a line: {errors}");
        foreach (var line in lines)
            Check.That(line.StartsWith("ptdump: ", StringComparison.Ordinal), $"ptdump {command}: a stderr line not starting 'ptdump: ': {line}");
        if (exit == PtDump.Program.ExitOk)
            Check.That(lines.Length <= 1, $"ptdump {command}: exit 0 with {lines.Length} lines on stderr: {errors}");
        else
            Check.That(lines.Length is 1 or 2, $"ptdump {command}: exit {exit} with {lines.Length} lines on stderr: {errors}");
        if (lines.Length == 2)
            Check.That(lines[0].StartsWith("ptdump: no root registers", StringComparison.Ordinal), $"ptdump {command}: two stderr lines, the first not a notice: {errors}");
    }

    /// <summary>Counts what ptdump writes and keeps none of it past the bound.</summary>
    private sealed class BoundedWriter(long bound) : TextWriter
    {
        private long _written;

        public bool Overflowed => _written > bound;

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => _written++;

        public override void Write(char[] buffer, int index, int count) => _written += count;

        public override void Write(ReadOnlySpan<char> buffer) => _written += buffer.Length;

        public override void Write(string? value) => _written += value?.Length ?? 0;

        public override void Write(StringBuilder? value) => _written += value?.Length ?? 0;
    }

    /// <summary>Structured inputs: crafted ELF cores and raw images with page tables at 0x1000 (see <see cref="Seeds"/>), lightly damaged.</summary>
    public static Gen<byte[]> Structured { get; } =
        Gen.Select(Gen.Int[0, ArgumentSets.Length - 1], Gen.Int[0, int.MaxValue], Gen.Int[0, 8], (arguments, seed, damage) =>
        {
            var random = new Random(seed);
            var file = Seeds.RandomImage(random);
            for (int i = 0; i < damage; i++)
                file[random.Next(file.Length)] = (byte)random.Next(256);
            return (byte[])[(byte)arguments, .. file];
        });
}
