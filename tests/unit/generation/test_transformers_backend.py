"""The transformers backend on CPU with a tiny randomly initialised LLaVA built here from a config.

Nothing is downloaded: the test writes a word-level tokenizer, a CLIP image processor and a
two-layer LLaVA (CLIP vision tower + Llama text model) to a temporary folder, and the backend
loads that folder like any local model. Random weights write random words, so the replies are
not JSON: what is checked is the real batched generation path (left padding, new tokens only,
greedy determinism, one reply per conversation, the repair round) and the error handling.
"""

from __future__ import annotations

import numpy as np
import pytest

from medtrinity.generation.backends import make_backend
from medtrinity.io.rle import encode_mask
from medtrinity.records import ROI, Sample, SampleError

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # importing transformers and torch costs seconds

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}:"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %} <image>"
    "{% else %} {{ part['text'] }}{% endif %}{% endfor %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("tiny-llava")
    words = ["[UNK]", "[PAD]", "<s>", "</s>", "<image>", "assistant:", "user:", "system:"]
    words += [f"w{number}" for number in range(120)]
    core = Tokenizer(models.WordLevel({word: index for index, word in enumerate(words)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", bos_token="<s>", eos_token="</s>",
        extra_special_tokens={"image_token": "<image>"})
    image_processor = transformers.CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = transformers.LlavaProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=8,
        vision_feature_select_strategy="default", chat_template=CHAT_TEMPLATE, num_additional_image_tokens=1)
    config = transformers.LlavaConfig(
        vision_config=transformers.CLIPVisionConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            image_size=32, patch_size=8),
        text_config=transformers.LlamaConfig(
            vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
            pad_token_id=1, bos_token_id=2, eos_token_id=3),
        image_token_id=4, vision_feature_select_strategy="default", vision_feature_layer=-1)
    torch.manual_seed(0)
    model = transformers.LlavaForConditionalGeneration(config)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _sample(name: str, shade: int) -> Sample:
    image = np.full((48, 48), shade, dtype=np.uint8)
    image[10:30, 12:28] = 255 - shade
    sample = Sample(id=name, source="s", case_id="c", modality="ct", body_part="abdomen",
                    pixels=image.astype(np.float32), image=image)
    region = np.zeros((48, 48), dtype=bool)
    region[10:30, 12:28] = True
    mask = encode_mask(region)
    sample.rois = [ROI(label="liver", kind="organ", bbox_xyxy=(12, 10, 28, 30), mask_rle=mask, area_px=320,
                       area_mm2=None, centroid_xy=(20.0, 20.0))]
    sample.coarse_caption = f"An axial CT slice {name}."
    return sample


def test_batched_generation_is_greedy_and_returns_only_new_tokens(tiny_llava):
    backend = make_backend("transformers", {"model": str(tiny_llava), "batch_size": 2, "max_new_tokens": 6,
                                            "device": "cpu"})
    conversations = [
        [{"role": "user", "content": "w1 w2 w3"}],
        [{"role": "system", "content": "w7"}, {"role": "user", "content": "w4 w5 w6 w8 w9 w10 w11"}],
        [{"role": "user", "content": "w12"}],
    ]
    first = backend.complete_json_batch(conversations)
    second = backend.complete_json_batch(conversations)
    assert len(first) == 3 and all(isinstance(text, str) for text in first)
    assert first == second  # greedy decoding: a rerun writes the same text
    for text in first:
        words = text.split()
        assert 0 < len(words) <= 6
        assert "assistant:" not in words and "user:" not in words  # the prompt is not echoed back
    # the last conversation ran in a batch of its own: the same as asking it alone
    assert backend.complete_json_batch(conversations[2:]) == first[2:]


def test_descriptions_with_images_go_through_generate_and_the_repair_round(tiny_llava):
    backend = make_backend("transformers", {"model": str(tiny_llava), "batch_size": 4, "max_new_tokens": 4,
                                            "device": "cpu"})
    network, _processor, _device = backend._engine()
    calls: list[int] = []
    original = network.generate

    def counting_generate(**inputs):
        calls.append(int(inputs["input_ids"].shape[0]))
        assert "pixel_values" in inputs  # the overlay image reached the vision tower
        return original(**inputs)

    network.generate = counting_generate
    try:
        results = backend.describe_batch([_sample("a", 40), _sample("b", 90), _sample("c", 140)])
    finally:
        network.generate = original
    assert calls == [3, 3]  # one batch of three, then the three unusable replies asked once more together
    assert len(results) == 3
    for result in results:
        assert isinstance(result, SampleError)
        assert result.code == "unparseable_reply" and "asked twice" in result.message


def test_missing_model_option_and_bad_images_are_clear_errors(tiny_llava):
    with pytest.raises(ValueError, match=r"options\.model: field required"):
        make_backend("transformers", {})
    from medtrinity.generation.transformers_backend import to_hf_messages

    with pytest.raises(ValueError, match="base64 data URLs"):
        to_hf_messages([{"role": "user", "content": [{"type": "image_url",
                                                      "image_url": {"url": "https://example.org/x.png"}}]}])
