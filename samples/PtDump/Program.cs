using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Walkers.Images;
using Walkers.PtDump.Families;
using Walkers.PtDump.Listings;

namespace Walkers.PtDump;

/// <summary>A mistake in the command line: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Input that cannot be used (beyond the image format itself): exit code 1.</summary>
internal sealed class BadInputException(string message) : Exception(message);

/// <summary>
/// ptdump: lists the page tables in a memory image (a QEMU dump-guest-memory ELF core, plain or zstd, or a raw
/// physical image) of an x86, RISC-V or AArch64 machine the way QEMU's monitor, Linux or a script wants them,
/// translates addresses, and finds the address spaces in a dump that does not say where they are.
/// </summary>
public static class Program
{
    public const int ExitOk = 0;
    public const int ExitBadInput = 1;
    public const int ExitUsage = 2;
    public const int ExitInterrupted = 130;

    public static int Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Ctrl-C: stop the walk at its next check and exit cleanly (no half-written line, no stack trace).
            e.Cancel = true;
            interrupt.Cancel();
        };
        using var readerGone = StandardOutput.WatchReader();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, readerGone.Token);
        var stdout = StandardOutput.Open();
        int exit = Run(args, stdout, Console.Error, stop.Token);
        try
        {
            stdout.Flush();
        }
        catch (OutputClosedException) when (exit != ExitOk)
        {
            return exit; // the run already stopped on it, and said so
        }
        catch (IOException e)
        {
            // The last lines could not be written: say so once (a closed stdout), unless the reader simply went away.
            if (e is not OutputClosedException { ReaderWentAway: true })
                Console.Error.WriteLine($"ptdump: {OneLine(e.Message)}");
            return exit == ExitOk ? ExitBadInput : exit;
        }
        return exit;
    }

    private const string ListCommand = "list";

    /// <summary>"translate needs &lt;VA&gt;..." instead of the parser's "Required argument missing for command: 'translate'".</summary>
    private static string? MissingArguments(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var missing = command.Arguments
            .Where(a => a.Arity.MinimumNumberOfValues > 0 && (parsed.GetResult(a) is not System.CommandLine.Parsing.ArgumentResult r || r.Tokens.Count < a.Arity.MinimumNumberOfValues))
            .Select(a => a.Arity.MaximumNumberOfValues > 1 ? $"<{a.Name}>..." : $"<{a.Name}>")
            .ToList();
        if (missing.Count == 0)
            return null;
        var usage = string.Join(" ", command.Arguments.Select(a => a.Arity.MaximumNumberOfValues > 1 ? $"<{a.Name}>..." : $"<{a.Name}>"));
        return $"{command.Name} needs {string.Join(" and ", missing)}: ptdump {command.Name} {usage} [options]";
    }

    /// <summary>
    /// The listing is the default command: 'ptdump IMAGE' means 'ptdump list IMAGE'. It is a subcommand, not the root's
    /// own action, so that the other commands' usage does not carry the listing's IMAGE.
    /// </summary>
    private static string[] WithDefaultCommand(string[] args) =>
        args.Length > 0 && args[0] is ListCommand or "translate" or "roots" or "--help" or "-h" or "-?" or "--version"
            ? args
            : [ListCommand, .. args];

    /// <summary>The whole program, with its output streams given: what tests call.</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var command = BuildCommand(stdout, stderr, cancellation);
        var parsed = command.Parse(WithDefaultCommand(args));
        if (parsed.Errors.Count > 0)
        {
            // An unknown option explains the errors after it (its value left over): report it first.
            string? unknown = parsed.Errors.Select(e => e.Message).FirstOrDefault(m => m.StartsWith("unknown option", StringComparison.Ordinal))
                ?? parsed.UnmatchedTokens.Where(LooksLikeOption).Select(t => UnknownOption(t, parsed.CommandResult.Command)).FirstOrDefault();
            stderr.WriteLine($"ptdump: {unknown ?? MissingArguments(parsed) ?? OneLine(parsed.Errors[0].Message)} (see ptdump --help)");
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
        catch (OperationCanceledException)
        {
            if (StandardOutput.ReaderWentAway)
                return ExitBadInput; // the reader chose to stop: nothing to report
            stderr.WriteLine("ptdump: interrupted");
            return ExitInterrupted;
        }
        catch (OutputClosedException e)
        {
            // The reader of stdout went away (ptdump ... | head): stop at once, quietly, as a killed pipeline member would.
            if (!e.ReaderWentAway)
                stderr.WriteLine($"ptdump: {OneLine(e.Message)}");
            return ExitBadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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

    private sealed class RootArguments
    {
        public readonly Option<string?> Arch = new("--arch")
        {
            Description = "The architecture of a raw image (x86, riscv, arm64); an ELF core says it in e_machine.",
        };
        public readonly Option<string?> Cr3 = new("--cr3") { Description = "x86: the root (CR3, hex) instead of the dump's QEMU CPU note. PAE keeps it 32-byte aligned.", HelpName = "HEX" };
        public readonly Option<string?> Mode = new("--mode") { Description = "x86: the paging mode instead of the one CR0/CR4/e_machine select (raw legacy assumes CR4.PSE=1)." };
        public readonly Option<string?> Satp = new("--satp") { Description = "RISC-V: satp as read from the hart (MODE selects Sv39/48/57; Sv32 for RV32 dumps).", HelpName = "HEX" };
        public readonly Option<string?> Ttbr0 = new("--ttbr0") { Description = "AArch64: TTBR0_EL1 as read from the CPU (ASID and CnP included).", HelpName = "HEX" };
        public readonly Option<string?> Ttbr1 = new("--ttbr1") { Description = "AArch64: TTBR1_EL1 as read from the CPU.", HelpName = "HEX" };
        public readonly Option<string?> Tcr = new("--tcr") { Description = "AArch64: TCR_EL1: granule and VA size of each half, and which halves are walked.", HelpName = "HEX" };
        public readonly Option<string?> Registers = new("--regs") { Description = "A file of NAME=0x... register lines (the shared captures' regs.txt, QEMU's info registers): CR0/CR3/CR4/EFER, SATP, TTBR0_EL1/TTBR1_EL1/TCR_EL1.", HelpName = "FILE" };

        public RootArguments() => Mode.AcceptOnlyFromAmong("legacy", "pae", "4level", "5level");

        public IEnumerable<Option> All => [Arch, Cr3, Mode, Satp, Ttbr0, Ttbr1, Tcr, Registers];

        public RootOptions From(ParseResult result) => new(result.GetValue(Arch), result.GetValue(Cr3), result.GetValue(Mode), result.GetValue(Satp),
            result.GetValue(Ttbr0), result.GetValue(Ttbr1), result.GetValue(Tcr), result.GetValue(Registers));
    }

    private static RootCommand BuildCommand(TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var roots = new RootArguments();
        var format = new Option<string?>("--format")
        {
            Description = "qemu-tlb (x86) / qemu-mem (x86, RISC-V): byte for byte what QEMU 7.2's 'info tlb' / 'info mem' print, quirks "
                + "included (under x86 5-level paging qemu-mem prints the listing QEMU intends: QEMU 7.2's own prints nothing, its present tests "
                + "are inverted). linux: the kernel's own page-table dump (x86: page_tables; RISC-V and AArch64: kernel_page_tables of Linux 6.1, "
                + "the kernel half, markers included). json: JSON Lines, an object describing the address space, then one per run of pages. "
                + "Default: qemu-tlb for x86, qemu-mem for RISC-V, linux for AArch64. A page table outside the image is reported in its place.",
        };
        format.AcceptOnlyFromAmong("qemu-tlb", "qemu-mem", "linux", "json");
        var range = new Option<string?>("--range")
        {
            Description = "Only the virtual addresses FROM-TO (hex, TO exclusive as in the listings; FROM- runs to the top), e.g. ffffffff80000000-ffffffffc0000000.",
            HelpName = "FROM-TO",
        };
        var noLimit = new Option<bool>("--no-limit")
        {
            Description = "Lift the rule for tables that repeat (a walk visits at most levels x the entries of the distinct tables it entered): "
                + "cyclic or shared tables are then listed in full, however long that is.",
        };
        var image = new Argument<string?>("IMAGE")
        {
            Description = "QEMU dump-guest-memory ELF core (physical ranges from PT_LOAD p_paddr; x86, RISC-V or AArch64 by e_machine), "
                + "optionally zstd-compressed, or a raw physical image (file offset = physical address; needs --arch or the root registers). "
                + "Without it: a demo address space.",
            Arity = ArgumentArity.ZeroOrOne,
        };

        var root = new RootCommand("Lists the page tables of a memory image of an x86, RISC-V or AArch64 machine. The roots come from the dump "
            + "(x86's QEMU CPU note), from the options, or, when neither names one, from a scan for the kernel's own table. "
            + "'ptdump IMAGE [options]' is short for 'ptdump list IMAGE [options]' (see ptdump list --help); with no IMAGE it lists a demo address space. "
            + "Flag letters: " + string.Join(" ", Family.All.Select(f => f.Legend)));

        var list = new Command(ListCommand, "Lists the mappings of an image (the default command).")
        {
            image, format, range, noLimit,
        };
        foreach (var option in roots.All)
            list.Options.Add(option);
        list.SetAction(result => List(stdout, stderr, result.GetValue(image), roots.From(result), result.GetValue(format),
            result.GetValue(range), result.GetValue(noLimit), cancellation));
        root.Subcommands.Add(list);

        var translateImage = new Argument<string>("IMAGE") { Description = "The memory image, as for the listing." };
        var addresses = new Argument<string[]>("VA") { Description = "Virtual addresses (hex).", Arity = ArgumentArity.OneOrMore };
        var translate = new Command("translate", "Translates virtual addresses: physical address, page size and flags (x86: XGPDACTUW "
            + "as info tlb, X = no execute, then the effective u r w x; RISC-V: rwxugad; AArch64: the kernel's tokens and the el0/el1 rights), "
            + "or 'not mapped'.")
        {
            translateImage, addresses,
        };
        foreach (var option in roots.All)
            translate.Options.Add(option);
        translate.SetAction(result => Translate(stdout, stderr, result.GetValue(translateImage)!, result.GetValue(addresses)!, roots.From(result)));
        root.Subcommands.Add(translate);

        var scanImage = new Argument<string>("IMAGE") { Description = "The memory image to scan." };
        var scanArch = new Option<string?>("--arch") { Description = "The architecture of a raw image (x86, riscv, arm64)." };
        var scanFormat = new Option<string?>("--format") { Description = "text (default) or json." };
        scanFormat.AcceptOnlyFromAmong("text", "json");
        var rootsCommand = new Command("roots", "Finds the page-table roots in an image without registers: each process's table and the "
            + "kernel's own, with mode, pages mapped in the user and kernel halves, and the evidence (see docs/ptdump.md for the rule).")
        {
            scanImage, scanArch, scanFormat,
        };
        rootsCommand.SetAction(result => Roots(stdout, result.GetValue(scanImage)!, result.GetValue(scanArch), result.GetValue(scanFormat) == "json"));
        root.Subcommands.Add(rootsCommand);

        RefuseOptionLikeImages(image, list);
        RefuseOptionLikeImages(translateImage, translate);
        RefuseOptionLikeImages(addresses, translate);
        RefuseOptionLikeImages(scanImage, rootsCommand);
        return root;
    }

    /// <summary>
    /// A mistyped option lands in IMAGE ("--bogus: no such file"); say it is an unknown option instead, with the
    /// nearest real one. A file whose name starts with '-' is still reachable as ./-name.
    /// </summary>
    private static void RefuseOptionLikeImages<T>(Argument<T> image, Command command)
    {
        image.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => LooksLikeOption(t.Value)))
                result.AddError(UnknownOption(token.Value, command));
        });
    }

    private static bool LooksLikeOption(string token) => token.Length > 1 && token[0] == '-';

    /// <summary>"unknown option '--fromat' (did you mean --format?)": the nearest option of the command, when one is near.</summary>
    private static string UnknownOption(string token, Command command)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
        string? nearest = names.Select(n => (Name: n, Distance: EditDistance(n, token)))
            .Where(c => c.Distance <= Math.Max(2, c.Name.Length / 3)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
        return $"unknown option '{token}'{(nearest is null ? "" : $" (did you mean {nearest}?)")}";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static OutputFormat ParseFormat(string name) => name switch
    {
        "qemu-tlb" => OutputFormat.QemuTlb,
        "qemu-mem" => OutputFormat.QemuMem,
        "linux" => OutputFormat.Linux,
        "json" => OutputFormat.Json,
        _ => throw new UsageException($"unknown format '{name}'"),
    };

    private static int List(TextWriter stdout, TextWriter stderr, string? imagePath, RootOptions options, string? formatName, string? rangeText,
        bool unlimited, CancellationToken cancellation)
    {
        var output = new OutputBuffer(stdout);
        (ulong from, ulong to) = rangeText is null ? (0UL, ulong.MaxValue) : ParseRange(rangeText);
        if (imagePath is null)
        {
            if (options.GivesAny)
                throw new UsageException("root registers need an IMAGE");
            var format = formatName is null ? OutputFormat.QemuTlb : ParseFormat(formatName);
            using var demo = new DemoAddressSpace();
            var demoSpace = demo.Space;
            if (format != OutputFormat.Json)
                output.Text($"# demo address space (x86-64 4-level) in simulated memory, CR3=0x{demo.Root:x}; give a memory dump to list a real one\n");
            Listing.Write(format, demo.Memory, demoSpace, from, to, output, null, unlimited, cancellation);
            return ExitOk;
        }

        using var image = OpenImage(imagePath, options);
        var family = FamilyOf(image, options);
        var space = family.Resolve(image, options, stderr.WriteLine);
        var chosen = formatName is null ? family.DefaultFormat : ParseFormat(formatName);
        if (!family.Formats.Contains(chosen))
            throw new UsageException($"--format {formatName} is not a listing of {family.Architecture} (it has {string.Join(", ", family.Formats.Select(FormatName))})");
        if (space is null)
        {
            output.Text(chosen switch
            {
                OutputFormat.Json => "{\"error\":\"paging disabled (CR0.PG=0)\"}\n",
                OutputFormat.Linux => "# paging disabled (CR0.PG=0)\n",
                _ => "PG disabled\n", // what QEMU prints
            });
            output.Flush();
            return ExitOk;
        }
        CheckRoots(image, space);
        int outside = Listing.Write(chosen, image.Memory, space, from, to, output, image, unlimited, cancellation);
        if (outside > 0)
            throw new BadInputException(outside == 1
                ? "1 page table lies outside the image; not read (reported in the listing)"
                : $"{outside} page tables lie outside the image; not read (reported in the listing)");
        return ExitOk;
    }

    private static string FormatName(OutputFormat format) => format switch
    {
        OutputFormat.QemuTlb => "qemu-tlb",
        OutputFormat.QemuMem => "qemu-mem",
        OutputFormat.Linux => "linux",
        _ => "json",
    };

    private static int Translate(TextWriter stdout, TextWriter stderr, string imagePath, string[] addressTexts, RootOptions options)
    {
        var addresses = new List<ulong>(addressTexts.Length);
        foreach (var text in addressTexts)
            addresses.Add(Registers.ParseHex(text, "virtual address"));
        using var image = OpenImage(imagePath, options);
        var family = FamilyOf(image, options);
        var space = family.Resolve(image, options, stderr.WriteLine)
            ?? throw new BadInputException("paging is disabled (CR0.PG=0): virtual addresses are physical");
        CheckRoots(image, space);
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
                    line.Append(CultureInfo.InvariantCulture, $"{t.PhysicalAddress:x16} {SizeName(t.PageSize)} {family.DescribePage(t.Table!, t.Entry, t.Level, t.Inherited)}");
                    break;
                case TranslationStatus.NotMapped:
                    line.Append("not mapped");
                    break;
                case TranslationStatus.Fault:
                    line.Append(CultureInfo.InvariantCulture, $"not mapped (the level-{t.Level} entry 0x{t.Entry:x} is an encoding the hardware faults on)");
                    break;
                case TranslationStatus.NotCanonical:
                    line.Append(space.Is64Bit ? "not canonical" : "outside the 32-bit address space");
                    break;
                case TranslationStatus.TableOutside:
                    outside++;
                    line.Append(CultureInfo.InvariantCulture, $"# level-{t.Level} entry points to a page table at 0x{t.TableAddress:x}, outside the image; not read");
                    break;
            }
            stdout.Write(line.Append('\n'));
        }
        if (outside > 0)
            throw new BadInputException(outside == 1 ? "1 address leads to a page table outside the image" : $"{outside} addresses lead to page tables outside the image");
        return ExitOk;
    }

    private static int Roots(TextWriter stdout, string imagePath, string? arch, bool json)
    {
        var options = new RootOptions(arch, null, null, null, null, null, null, null);
        using var image = OpenImage(imagePath, options, allowRaw: arch is not null);
        var family = FamilyOf(image, options);
        var result = family.Scanner.Scan(image);
        Walkers.PtDump.Roots.RootsReport.Write(result, stdout, json);
        return ExitOk;
    }

    private static MemoryImage OpenImage(string path, RootOptions options, bool? allowRaw = null)
    {
        // Without an architecture or root registers, a file must be an ELF core: a non-ELF file is an error, not a raw image.
        bool raw = allowRaw ?? (options.Arch is not null || options.GivesX86 && options.Cr3 is not null && options.Mode is not null
            || options.GivesRiscV || options.GivesArm64 || options.RegisterFile is not null);
        try
        {
            return MemoryImage.Open(path, new MemoryImageOptions { AllowRaw = raw, Zstd = NativeZstd.Instance ?? (IZstdDecoder)ManagedZstd.Instance });
        }
        catch (ImageFormatException e) when (!raw && e.Message.Contains("no ELF magic", StringComparison.Ordinal))
        {
            throw new ImageFormatException($"{e.Message}; a raw physical image needs --arch and its root registers (--cr3 and --mode, --satp, --ttbr0/--ttbr1 and --tcr, or --regs)", e);
        }
    }

    /// <summary>The family from e_machine (an ELF core), or from --arch and the root options (a raw image).</summary>
    private static Family FamilyOf(MemoryImage image, RootOptions options)
    {
        if (image.Elf is { } elf)
        {
            var family = Family.ForMachine(elf.Machine)
                ?? throw new BadInputException($"{image.Path}: ELF machine {elf.Machine} is not x86 (3, 62), AArch64 (183) or RISC-V (243)");
            if (options.Arch is not null && Family.Parse(options.Arch) != family)
                throw new BadInputException($"{image.Path}: --arch {options.Arch}, but the dump is {family.Architecture} (e_machine {elf.Machine})");
            return family;
        }
        if (options.Arch is not null)
            return Family.Parse(options.Arch);
        var implied = Family.All.Where(f => f == Family.X86 ? options.GivesX86 : f == Family.RiscV ? options.GivesRiscV : options.GivesArm64).ToList();
        return implied.Count == 1 ? implied[0]
            : throw new UsageException("a raw image needs --arch (x86, riscv, arm64) and its root registers");
    }

    private static void CheckRoots(MemoryImage image, AddressSpace space)
    {
        if (Listing.RootOutside(image.Memory, space) is not RootTable table)
            return;
        var ranges = new StringBuilder();
        foreach (var segment in image.Memory.Segments)
            ranges.Append(CultureInfo.InvariantCulture, $"{(ranges.Length > 0 ? ", " : "")}0x{segment.Start:x}-0x{segment.End - 1:x}");
        throw new BadInputException($"{table.Register} 0x{table.RegisterValue:x}: the root page table (0x{table.Root:x}) is outside the image (physical {ranges})");
    }

    private static (ulong From, ulong To) ParseRange(string text)
    {
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
            throw new UsageException($"--range '{text}': expected FROM-TO in hex");
        ulong from = Registers.ParseHex(text[..dash], "--range start");
        if (dash == text.Length - 1)
            return (from, ulong.MaxValue); // "FROM-": to the top of the address space, which an exclusive TO cannot name
        ulong end = Registers.ParseHex(text[(dash + 1)..], "--range end");
        if (end <= from)
            throw new UsageException($"--range '{text}': the end must be above the start");
        return (from, end - 1);
    }

    private static string SizeName(ulong size) => size switch
    {
        >= 1UL << 40 => $"{size >> 40}T",
        >= 1UL << 30 => $"{size >> 30}G",
        >= 1UL << 20 => $"{size >> 20}M",
        _ => $"{size >> 10}K",
    };

    // System.CommandLine lists choices with tabs and newlines: one line, single spaces.
    private static string OneLine(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\s+", " ").Trim();
}
