using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using Walkers.Images;
using Walkers.PtDump.Listings;

namespace Walkers.PtDump;

/// <summary>A mistake in the command line: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Input that cannot be used (beyond the image format itself): exit code 1.</summary>
internal sealed class BadInputException(string message) : Exception(message);

/// <summary>
/// ptdump: lists the page tables in a memory image (a QEMU dump-guest-memory ELF core, plain or zstd, or a raw
/// physical image) the way QEMU's monitor, Linux or a script wants them, and translates addresses.
/// </summary>
public static class Program
{
    public const int ExitOk = 0;
    public const int ExitBadInput = 1;
    public const int ExitUsage = 2;

    public static int Main(string[] args)
    {
        // One large buffer for stdout: listings are thousands of lines.
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        int exit = Run(args, stdout, Console.Error);
        try
        {
            stdout.Flush();
        }
        catch (IOException)
        {
            // The reader went away (ptdump ... | head): nothing left to tell anyone.
        }
        return exit;
    }

    /// <summary>The whole program, with its output streams given: what tests call.</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var command = BuildCommand(stdout);
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            stderr.WriteLine($"ptdump: {OneLine(parsed.Errors[0].Message)} (see ptdump --help)");
            return ExitUsage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"ptdump: {OneLine(e.Message)} (see ptdump --help)");
            return ExitUsage;
        }
        catch (Exception e) when (e is ImageFormatException or BadInputException)
        {
            stderr.WriteLine($"ptdump: {OneLine(e.Message)}");
            return ExitBadInput;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"ptdump: {OneLine(e.Message)}");
            return ExitBadInput;
        }
        catch (Exception e)
        {
            // Never a stack trace; say it is ours, not the input's.
            stderr.WriteLine($"ptdump: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return ExitBadInput;
        }
    }

    private static RootCommand BuildCommand(TextWriter stdout)
    {
        var cr3 = new Option<string?>("--cr3")
        {
            Description = "Root page-table address (hex) instead of CR3 from the dump's QEMU CPU note. PAE keeps it 32-byte aligned (CR3 & ~0x1f).",
            HelpName = "HEX",
        };
        var mode = new Option<string?>("--mode")
        {
            Description = "Paging mode instead of the one CR0/CR4/e_machine select (a raw image needs --cr3 and --mode; raw legacy assumes CR4.PSE=1).",
        };
        mode.AcceptOnlyFromAmong("legacy", "pae", "4level", "5level");
        var format = new Option<string>("--format")
        {
            Description = "qemu-tlb / qemu-mem: byte for byte what QEMU 7.2's 'info tlb' / 'info mem' print, quirks included, "
                + "except that under 5-level paging qemu-mem prints the listing QEMU intends (QEMU 7.2's own prints nothing: its present "
                + "tests are inverted). linux: the kernel's page_tables dump style (ranges, size, flags, level). json: JSON Lines, one object "
                + "per run of pages. A page table outside the image is reported in its place (a '# ...' line; a json error object).",
            DefaultValueFactory = _ => "qemu-tlb",
        };
        format.AcceptOnlyFromAmong("qemu-tlb", "qemu-mem", "linux", "json");
        var range = new Option<string?>("--range")
        {
            Description = "Only the virtual addresses FROM-TO (hex, TO exclusive as in the listings; FROM- runs to the top), e.g. ffffffff80000000-ffffffffc0000000.",
            HelpName = "FROM-TO",
        };
        var image = new Argument<string?>("IMAGE")
        {
            Description = "QEMU dump-guest-memory ELF core (ELF32/ELF64, physical ranges from PT_LOAD p_paddr), optionally zstd-compressed, "
                + "or a raw physical image (file offset = physical address; needs --cr3 and --mode). Without it: a demo address space.",
            Arity = ArgumentArity.ZeroOrOne,
        };

        var root = new RootCommand("Lists the page tables of an x86 memory image (legacy, PAE, 4-level, 5-level).")
        {
            image, cr3, mode, format, range,
        };
        root.SetAction(result => List(stdout, result.GetValue(image), result.GetValue(cr3), result.GetValue(mode),
            ParseFormat(result.GetValue(format)!), result.GetValue(range)));

        var translateImage = new Argument<string>("IMAGE") { Description = "The memory image, as for the listing." };
        var addresses = new Argument<string[]>("VA") { Description = "Virtual addresses (hex).", Arity = ArgumentArity.OneOrMore };
        var translate = new Command("translate", "Translates virtual addresses: physical address, page size and flags (XGPDACTUW, as info tlb), or 'not mapped'.")
        {
            translateImage, addresses, cr3, mode,
        };
        translate.SetAction(result => Translate(stdout, result.GetValue(translateImage)!, result.GetValue(addresses)!,
            result.GetValue(cr3), result.GetValue(mode)));
        root.Subcommands.Add(translate);
        return root;
    }

    private static OutputFormat ParseFormat(string name) => name switch
    {
        "qemu-tlb" => OutputFormat.QemuTlb,
        "qemu-mem" => OutputFormat.QemuMem,
        "linux" => OutputFormat.Linux,
        "json" => OutputFormat.Json,
        _ => throw new UsageException($"unknown format '{name}'"),
    };

    private static int List(TextWriter stdout, string? imagePath, string? cr3Text, string? modeText, OutputFormat format, string? rangeText)
    {
        var output = new OutputBuffer(stdout);
        (ulong from, ulong to) = rangeText is null ? (0UL, ulong.MaxValue) : ParseRange(rangeText);
        if (imagePath is null)
        {
            if (cr3Text is not null || modeText is not null)
                throw new UsageException("--cr3 and --mode need an IMAGE");
            using var demo = new DemoAddressSpace();
            var demoSpace = new AddressSpace(PagingMode.FourLevel, Pse: true, demo.Root);
            if (format != OutputFormat.Json)
                output.Text($"# demo address space (x86-64 4-level) in simulated memory, CR3=0x{demo.Root:x}; give a QEMU dump-guest-memory core to list a real one\n");
            Listing.Write(format, demo.Memory, demoSpace, from, to, output);
            return ExitOk;
        }

        using var image = OpenImage(imagePath, cr3Text, modeText);
        var space = SelectAddressSpace(image, cr3Text, modeText, out bool pagingDisabled);
        if (pagingDisabled)
        {
            output.Text(format switch
            {
                OutputFormat.Json => "{\"error\":\"paging disabled (CR0.PG=0)\"}\n",
                OutputFormat.Linux => "# paging disabled (CR0.PG=0)\n",
                _ => "PG disabled\n", // what QEMU prints
            });
            output.Flush();
            return ExitOk;
        }
        CheckRoot(image, space);
        int outside = Listing.Write(format, image.Memory, space, from, to, output);
        if (outside > 0)
            throw new BadInputException($"{outside} page table{(outside == 1 ? "" : "s")} lie outside the image; not read (reported in the listing)");
        return ExitOk;
    }

    private static int Translate(TextWriter stdout, string imagePath, string[] addressTexts, string? cr3Text, string? modeText)
    {
        var addresses = new List<ulong>(addressTexts.Length);
        foreach (var text in addressTexts)
            addresses.Add(ParseHex(text, "virtual address"));
        using var image = OpenImage(imagePath, cr3Text, modeText);
        var space = SelectAddressSpace(image, cr3Text, modeText, out bool pagingDisabled);
        if (pagingDisabled)
            throw new BadInputException("paging is disabled (CR0.PG=0): virtual addresses are physical");
        CheckRoot(image, space);
        int outside = 0;
        var line = new StringBuilder();
        foreach (ulong va in addresses)
        {
            var t = Listing.Translate(image.Memory, space, va);
            line.Clear();
            line.Append(CultureInfo.InvariantCulture, $"{va:x16} -> ");
            switch (t.Status)
            {
                case TranslationStatus.Mapped:
                    line.Append(CultureInfo.InvariantCulture, $"{t.PhysicalAddress:x16} {SizeName(t.PageSize)} {X86Entry.QemuFlags(t.Level == 1 ? t.Entry & ~X86Entry.PageSize : t.Entry)}");
                    break;
                case TranslationStatus.NotMapped:
                    line.Append("not mapped");
                    break;
                case TranslationStatus.NotCanonical:
                    line.Append(space.Is64BitVirtual ? "not canonical" : "outside the 32-bit address space");
                    break;
                case TranslationStatus.TableOutside:
                    outside++;
                    line.Append(CultureInfo.InvariantCulture, $"# level-{t.Level} entry points to a page table at 0x{t.TableAddress:x}, outside the image; not read");
                    break;
            }
            stdout.Write(line.Append('\n'));
        }
        if (outside > 0)
            throw new BadInputException($"{outside} address{(outside == 1 ? "" : "es")} lead to page tables outside the image");
        return ExitOk;
    }

    private static MemoryImage OpenImage(string path, string? cr3Text, string? modeText) =>
        MemoryImage.Open(path, new MemoryImageOptions
        {
            // Without both, the registers must come from an ELF core's note: a non-ELF file is an error, not a raw image.
            AllowRaw = cr3Text is not null && modeText is not null,
            Zstd = NativeZstd.Instance ?? (IZstdDecoder)ManagedZstd.Instance,
        });

    private static AddressSpace SelectAddressSpace(MemoryImage image, string? cr3Text, string? modeText, out bool pagingDisabled)
    {
        ulong? cr3 = cr3Text is null ? null : ParseHex(cr3Text, "--cr3");
        PagingMode? mode = modeText is null ? null : AddressSpace.Parse(modeText) ?? throw new UsageException($"unknown mode '{modeText}'");
        pagingDisabled = false;
        if (cr3 is ulong givenCr3 && mode is PagingMode givenMode)
        {
            // Legacy PSE from the note when there is one; Linux turns it on wherever the CPU has it.
            bool pse = true;
            if (image.Elf?.FindNote("QEMU", 0) is not null)
                pse = ControlRegisters.FromQemuNote(image).Pse;
            return new AddressSpace(givenMode, pse, givenCr3);
        }
        if (image.Kind == ImageKind.Raw)
            throw new UsageException("a raw image needs --cr3 and --mode");
        var registers = ControlRegisters.FromQemuNote(image);
        pagingDisabled = mode is null && !registers.PagingEnabled;
        return new AddressSpace(mode ?? registers.Mode, registers.Pse, cr3 ?? registers.Cr3);
    }

    private static void CheckRoot(MemoryImage image, AddressSpace space)
    {
        if (!Listing.RootInside(image.Memory, space))
        {
            var ranges = new StringBuilder();
            foreach (var segment in image.Memory.Segments)
                ranges.Append(CultureInfo.InvariantCulture, $"{(ranges.Length > 0 ? ", " : "")}0x{segment.Start:x}-0x{segment.End:x}");
            throw new BadInputException($"CR3 0x{space.Cr3:x}: the root page table (0x{space.Root:x}) is outside the image (physical {ranges})");
        }
    }

    private static (ulong From, ulong To) ParseRange(string text)
    {
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
            throw new UsageException($"--range '{text}': expected FROM-TO in hex");
        ulong from = ParseHex(text[..dash], "--range start");
        if (dash == text.Length - 1)
            return (from, ulong.MaxValue); // "FROM-": to the top of the address space, which an exclusive TO cannot name
        ulong end = ParseHex(text[(dash + 1)..], "--range end");
        if (end <= from)
            throw new UsageException($"--range '{text}': the end must be above the start");
        return (from, end - 1);
    }

    private static ulong ParseHex(string text, string what)
    {
        var digits = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            digits = digits[2..];
        if (digits.Length is 0 or > 16 || !ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
            throw new UsageException($"{what} '{text}' is not a 64-bit hex number");
        return value;
    }

    private static string SizeName(ulong size) => size switch
    {
        >= 1UL << 30 => $"{size >> 30}G",
        >= 1UL << 20 => $"{size >> 20}M",
        _ => $"{size >> 10}K",
    };

    // System.CommandLine lists choices with tabs and newlines: one line, single spaces.
    private static string OneLine(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\s+", " ").Trim();
}
