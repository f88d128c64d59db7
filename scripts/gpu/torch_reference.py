# PyTorch baselines measured on the lent GPU in the same call as our WGSL kernels, so that ratios come
# from one run: copy bandwidth, fp32 matmul with TF32 off, fp32/bf16 causal SDPA, and (optionally) the
# reference selective scan. Prints a table and writes JSON to the path given as the first argument.
import json, sys, time
import torch

def bench(fn, warmup=3, iters=20, repeats=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True); end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record(); torch.cuda.synchronize()
        samples.append(start.elapsed_time(end) / iters)
    samples.sort()
    return samples[len(samples) // 2]

out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "results": []}
what = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else {"copy", "matmul", "sdpa"}
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
if "copy" in what:
    n = 512 * 1024 * 1024 // 4
    a = torch.randn(n, device="cuda"); b = torch.empty_like(a)
    ms = bench(lambda: b.copy_(a))
    out["results"].append({"name": "copy 512MiB", "ms": ms, "TBps": 2 * n * 4 / ms / 1e9})
if "matmul" in what:
    for n in (1024, 2048, 4096):
        a = torch.randn(n, n, device="cuda"); w = torch.randn(n, n, device="cuda")
        ms = bench(lambda: a @ w.T)
        out["results"].append({"name": f"matmul fp32 {n}^3 (tf32 off)", "ms": ms, "TFLOPs": 2 * n ** 3 / ms / 1e9})
if "sdpa" in what:
    import torch.nn.functional as F
    for L in (1024, 4096, 16384):
        for dt in (torch.float32, torch.bfloat16):
            q, k, v = (torch.randn(1, 16, L, 64, device="cuda", dtype=dt) for _ in range(3))
            ms = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
            out["results"].append({"name": f"sdpa causal {str(dt).split('.')[-1]} B=1 H=16 E=64 L={L}", "ms": ms, "TFLOPs": 2 * 2 * 16 * L * L * 64 / 2 / ms / 1e9})
for r in out["results"]:
    print(f"{r['name']:<48} {r['ms']:9.4f} ms  " + ("%.2f TB/s" % r["TBps"] if "TBps" in r else "%.1f TFLOP/s" % r["TFLOPs"]))
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=2)
