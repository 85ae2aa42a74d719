namespace Walkers.PtDump.Listings;

/// <summary>
/// JSON Lines: one object per run of present leaves (same level and attributes, physically contiguous), and
/// one error object per page table outside the image. Addresses are hex strings (they exceed 2^53).
/// </summary>
internal sealed class JsonWriter(OutputBuffer output) : IRunWriter
{
    public void Run(in MappingRun run)
    {
        ulong flags = run.Flags;
        ulong pageSize = (run.End - run.Start) / run.Pages;
        output.BeginLine();
        output.Text("{\"start\":\"0x");
        output.Hex(run.Start, 1);
        output.Text("\",\"end\":\"0x");
        output.Hex(run.End, 1);
        output.Text("\",\"size\":");
        output.Decimal(run.End - run.Start);
        output.Text(",\"physical\":\"0x");
        output.Hex(run.Physical, 1);
        output.Text("\",\"level\":");
        output.Decimal((ulong)run.Level);
        output.Text(",\"page_size\":");
        output.Decimal(pageSize);
        output.Text(",\"pages\":");
        output.Decimal(run.Pages);
        Flag("user", flags & X86Entry.User);
        Flag("writable", flags & X86Entry.Writable);
        Flag("executable", ~flags & X86Entry.NoExecute);
        Flag("global", flags & X86Entry.Global);
        Flag("write_through", flags & X86Entry.WriteThrough);
        Flag("cache_disable", flags & X86Entry.CacheDisable);
        Flag("pat", run.Level == 1 ? flags & X86Entry.PageSize : flags & X86Entry.LargePat);
        output.Text("}\n");
    }

    public void TableOutside(ulong va, int level, ulong tableAddress)
    {
        output.BeginLine();
        output.Text("{\"error\":\"page table outside the image\",\"va\":\"0x");
        output.Hex(va, 1);
        output.Text("\",\"level\":");
        output.Decimal((ulong)level);
        output.Text(",\"table\":\"0x");
        output.Hex(tableAddress, 1);
        output.Text("\"}\n");
    }

    private void Flag(string name, ulong bit)
    {
        output.Text(",\"");
        output.Text(name);
        output.Text(bit != 0 ? "\":true" : "\":false");
    }
}
