if (Clickstream.Pixel.NginxConfigCommand.TryRun(args))
{
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPixel();

var app = builder.Build();

app.UsePixel();
app.MapDefaultEndpoints();
app.MapPixelStats();

app.Run();

/// <summary>Visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
