"""Captions per second of the ``transformers`` backend with a LLaVA-style model of a chosen size.

Engine throughput does not depend on the weights' values, so the model is built from a config
with random weights (no download) and every reply is forced to the same length
(``min_new_tokens == max_new_tokens``). ``--size tiny`` runs on CPU as a check that the path
works; ``--size 7b`` (CLIP ViT-L/14-336 + a 7B Llama, the LLaVA-1.5 / LLaVA-Med v1.5 shape) is for a
GPU node. Prints figures; asserts nothing.

Run: PYTHONPATH=src python benchmarks/generation_rate.py --size 7b --device cuda --batch 16 --tokens 256
"""

from __future__ import annotations

import argparse
import time

import numpy as np

SIZES = {  # (vision: hidden, layers, heads, intermediate, image, patch), (text: hidden, layers, heads, intermediate)
    "tiny": ((32, 2, 2, 64, 32, 8), (32, 2, 2, 64)),
    "7b": ((1024, 24, 16, 4096, 336, 14), (4096, 32, 32, 11008)),
}
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}:"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %} <image>"
    "{% else %} {{ part['text'] }}{% endif %}{% endfor %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def build(size: str, vocab: int, device: str, dtype: str):
    """A random-weight LLaVA of ``size`` and a word-level processor for it."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    (v_hidden, v_layers, v_heads, v_inter, image, patch), (t_hidden, t_layers, t_heads, t_inter) = SIZES[size]
    words = ["[UNK]", "[PAD]", "<s>", "</s>", "<image>", "assistant:", "user:", "system:"]
    words += [f"w{number}" for number in range(vocab - len(words))]
    core = Tokenizer(models.WordLevel({word: index for index, word in enumerate(words)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", bos_token="<s>", eos_token="</s>",
        extra_special_tokens={"image_token": "<image>"})
    tokenizer.padding_side = "left"
    processor = transformers.LlavaProcessor(
        image_processor=transformers.CLIPImageProcessor(size={"shortest_edge": image},
                                                        crop_size={"height": image, "width": image}),
        tokenizer=tokenizer, patch_size=patch, vision_feature_select_strategy="default",
        chat_template=CHAT_TEMPLATE, num_additional_image_tokens=1)
    config = transformers.LlavaConfig(
        vision_config=transformers.CLIPVisionConfig(hidden_size=v_hidden, intermediate_size=v_inter,
                                                    num_hidden_layers=v_layers, num_attention_heads=v_heads,
                                                    image_size=image, patch_size=patch),
        text_config=transformers.LlamaConfig(vocab_size=vocab, hidden_size=t_hidden, intermediate_size=t_inter,
                                             num_hidden_layers=t_layers, num_attention_heads=t_heads,
                                             num_key_value_heads=t_heads, max_position_embeddings=4096,
                                             pad_token_id=1, bos_token_id=2, eos_token_id=3),
        image_token_id=4, vision_feature_select_strategy="default", vision_feature_layer=-2)
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.LlavaForConditionalGeneration(config).to(getattr(torch, dtype)).eval()
    return model, processor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default=None, help="default: bfloat16 on cuda, float32 on cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--captions", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=32, help="output length of every caption")
    parser.add_argument("--vocab", type=int, default=32064)
    args = parser.parse_args()
    from medtrinity.generation.backends import make_backend
    from medtrinity.generation.prompt import png_data_url
    from medtrinity.io.png import encode_png

    dtype = args.dtype or ("bfloat16" if args.device.startswith("cuda") else "float32")
    started = time.perf_counter()
    model, processor = build(args.size, args.vocab, args.device, dtype)
    built = time.perf_counter() - started
    backend = make_backend("transformers", {"model": f"random-{args.size}", "batch_size": args.batch,
                                            "max_new_tokens": args.tokens,
                                            "generate": {"min_new_tokens": args.tokens}})
    backend._engine = lambda: (model, processor, args.device)  # the random model instead of a folder
    rng = np.random.default_rng(0)
    prompt = " ".join(f"w{int(n)}" for n in rng.integers(0, 5000, size=200))  # ~ the real prompt's length
    conversations = [[{"role": "user", "content": [
        {"type": "text", "text": prompt},
        {"type": "image_url", "image_url": {"url": png_data_url(encode_png(
            rng.integers(0, 255, (512, 512), dtype=np.uint8)))}}]}] for _ in range(args.captions)]
    backend.complete_json_batch(conversations[: args.batch])  # warm-up
    started = time.perf_counter()
    replies = backend.complete_json_batch(conversations)
    seconds = time.perf_counter() - started
    lengths = [len(reply.split()) for reply in replies]
    print(f"{args.size} LLaVA, random weights, {dtype} on {args.device} (built in {built:.0f} s): "
          f"{len(replies)} captions of {min(lengths)}-{max(lengths)} tokens in {seconds:.1f} s = "
          f"{len(replies) / seconds:.2f} captions/s, {sum(lengths) / seconds:.0f} tokens/s at batch {args.batch}")


if __name__ == "__main__":
    main()
