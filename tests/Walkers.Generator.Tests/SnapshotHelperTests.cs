using System;
using System.IO;
using Walkers.Generator.Tests.Infrastructure;
using Xunit.Sdk;

namespace Walkers.Generator.Tests;

/// <summary>The snapshot helper's own rules, in a temporary folder.</summary>
public sealed class SnapshotHelperTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "walkers-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void File_name_follows_Verify_naming_with_hint_name_without_cs()
    {
        var store = new SnapshotStore(_directory, update: false);
        Assert.Equal(Path.Combine(_directory, "Owner.Method#Ns.Type.Walkers.g.verified.cs"), store.VerifiedPath("Owner", "Method", "Ns.Type.Walkers.g.cs"));
        Assert.Equal(Path.Combine(_directory, "Owner.Method#Ns.Type.Walkers.g.received.cs"), store.ReceivedPath("Owner", "Method", "Ns.Type.Walkers.g.cs"));
    }

    [Fact]
    public void Missing_snapshot_fails_and_does_not_create_the_verified_file()
    {
        var store = new SnapshotStore(_directory, update: false);

        var failure = Assert.Throws<XunitException>(() => store.Match("Owner", "Method", "Hint.g.cs", "class C {}\n"));

        Assert.Contains("No verified snapshot", failure.Message);
        Assert.False(File.Exists(store.VerifiedPath("Owner", "Method", "Hint.g.cs")));
        Assert.Equal("class C {}\n", File.ReadAllText(store.ReceivedPath("Owner", "Method", "Hint.g.cs")));
    }

    [Fact]
    public void Update_mode_accepts_a_missing_snapshot_and_later_runs_pass_against_it()
    {
        var updating = new SnapshotStore(_directory, update: true);
        updating.Match("Owner", "Method", "Hint.g.cs", "class C {}\r\n");

        string verified = updating.VerifiedPath("Owner", "Method", "Hint.g.cs");
        Assert.Equal("class C {}\n"u8.ToArray(), File.ReadAllBytes(verified)); // normalised, no BOM
        new SnapshotStore(_directory, update: false).Match("Owner", "Method", "Hint.g.cs", "class C {}\n");
    }

    [Fact]
    public void Mismatch_fails_with_a_unified_diff_of_the_changed_lines_and_writes_received_file()
    {
        var store = new SnapshotStore(_directory, update: false);
        Directory.CreateDirectory(_directory);
        File.WriteAllText(store.VerifiedPath("Owner", "Method", "Hint.g.cs"), "line 1\nline 2\nshift = 21;\nline 4\n");

        var failure = Assert.Throws<XunitException>(() => store.Match("Owner", "Method", "Hint.g.cs", "line 1\nline 2\nshift = 22;\nline 4\n"));

        Assert.Contains("-shift = 21;", failure.Message);
        Assert.Contains("+shift = 22;", failure.Message);
        Assert.Contains("@@", failure.Message);
        Assert.DoesNotContain("+line 1", failure.Message);
        Assert.Equal("line 1\nline 2\nshift = 22;\nline 4\n", File.ReadAllText(store.ReceivedPath("Owner", "Method", "Hint.g.cs")));
    }

    [Fact]
    public void Line_endings_and_BOM_do_not_count_as_differences_and_match_removes_stale_received_file()
    {
        var store = new SnapshotStore(_directory, update: false);
        Directory.CreateDirectory(_directory);
        File.WriteAllText(store.VerifiedPath("Owner", "Method", "Hint.g.cs"), "\uFEFFa\r\nb\r\n", new System.Text.UTF8Encoding(true));
        File.WriteAllText(store.ReceivedPath("Owner", "Method", "Hint.g.cs"), "stale");

        store.Match("Owner", "Method", "Hint.g.cs", "a\nb\n");

        Assert.False(File.Exists(store.ReceivedPath("Owner", "Method", "Hint.g.cs")));
    }
}
