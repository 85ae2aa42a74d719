using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Walkers.PtDump.Tests;

/// <summary>
/// ptdump as a real process: it stops promptly when its reader goes away or Ctrl-C (SIGINT) arrives, and a closed
/// stdout gives one line, never a stack trace. The input is the 8 KiB self-loop (every entry of page 0 points to page
/// 0) read with --no-limit, a walk that would otherwise print for hours.
/// </summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _loop;

    public ProcessTests()
    {
        var memory = new SyntheticMemory(0x2000);
        for (ulong i = 0; i < 512; i++)
            memory.Set64(i * 8, 0x67);
        _loop = _temp.File("loop.raw", memory.Bytes);
    }

    public void Dispose() => _temp.Dispose();

    private static string Ptdump => $"\"{Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet"}\" \"{Path.Combine(AppContext.BaseDirectory, "ptdump.dll")}\"";

    /// <summary>Runs a shell line; returns its exit code, stdout and stderr, failing the test past the time limit.</summary>
    private static (int Exit, string Stdout, string Stderr, TimeSpan Took) Shell(string line, int seconds = 60)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(line);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(seconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{line}` still running after {seconds} s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    /// <summary>
    /// `head -c 100` reads a little of a listing that flows, then closes; `true` never reads, for a listing with
    /// nothing to print yet (linux: one run, printed when it ends), which no failing write could stop.
    /// </summary>
    [Theory]
    [InlineData("json", "head -c 100 >/dev/null")]
    [InlineData("qemu-tlb", "head -c 100 >/dev/null")]
    [InlineData("qemu-mem", "true")]
    [InlineData("linux", "true")]
    public void StopsWhenTheReaderOfAPipeGoesAway(string format, string reader)
    {
        var run = Shell($"{Ptdump} {_loop} --cr3 0 --mode 4level --no-limit --format {format} | {reader}; echo ${{PIPESTATUS[0]}}");
        Assert.Equal("1", run.Stdout.Trim());
        Assert.Equal("", run.Stderr); // the reader chose to stop: nothing to report
        Assert.True(run.Took < TimeSpan.FromSeconds(30), $"took {run.Took}");
    }

    [Fact]
    public void ClosedStdoutIsOneLineForATranslation()
    {
        var run = Shell($"{Ptdump} translate {_loop} --cr3 0 --mode 4level 0x1000 >&-");
        Assert.Equal(1, run.Exit);
        Cli.AssertOneLineError(run.Stderr);
        Assert.Contains("standard output is closed", run.Stderr);
    }

    [Fact]
    public void ClosedStdoutIsOneLineForAListing()
    {
        var run = Shell($"{Ptdump} {Oracle.Compressed("i386-pae")} --format qemu-mem >&-");
        Assert.Equal(1, run.Exit);
        Cli.AssertOneLineError(run.Stderr);
        Assert.Contains("standard output is closed", run.Stderr);
    }

    [Fact]
    public void CtrlCStopsAWalkAndExits130()
    {
        // Through env --default-signal=INT: a test run started in the background of a non-interactive shell
        // inherits SIGINT ignored, and an ignored SIGINT would never reach ptdump (a user's terminal delivers it).
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--default-signal=INT", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
                     Path.Combine(AppContext.BaseDirectory, "ptdump.dll"), _loop, "--cr3", "0", "--mode", "4level", "--no-limit", "--format", "json" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        // Read until output flows (the walk is under way), then interrupt and keep draining.
        var buffer = new char[1 << 16];
        Assert.True(process.StandardOutput.Read(buffer, 0, buffer.Length) > 0);
        var drain = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        Thread.Sleep(200);
        Process.Start("kill", ["-INT", process.Id.ToString()]).WaitForExit();
        Assert.True(process.WaitForExit(20_000), "ptdump did not stop within 20 s of SIGINT");
        drain.Wait(10_000);
        Assert.Equal(130, process.ExitCode);
        Assert.Equal("ptdump: interrupted\n", stderr.Result);
    }
}
