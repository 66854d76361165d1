var builder = DistributedApplication.CreateBuilder(args);

try
{
    builder.AddClickstream(new MachinePrerequisites());
}
catch (ClickstreamSetupException ex)
{
    // A mode that cannot work here: one sentence saying what to install or pick, no stack trace.
    Console.Error.WriteLine(ex.Message);
    return 1;
}

builder.Build().Run();
return 0;
