"""Every word the studio shows, in English and Simplified Chinese: the one place to add strings.

How a string reaches the visitor:

- Static text (labels, tab names, buttons, Markdown): `t("key")`, a gr.I18n key that the
  browser translates into its own language (Gradio picks the language; `LAUNCH_I18N` goes to
  `launch(i18n=...)`). Gradio replaces at most one key per string, so a text is one key.
- Static text built from values (a model's facts table, "dcgan: training curves"):
  `localized(lambda lang: ...)` renders it once per language and registers the results
  under a key of their own.
- Text made while answering a request (gr.Warning / gr.Error messages, Compare captions):
  Gradio's frontend does not translate these, so they are written in the request's
  language on the server: `text("key", language(request), value=...)`.

To add strings, add the same key to both dicts below (a test checks they match).
"""

from __future__ import annotations

import hashlib
from typing import Callable

import gradio as gr

# The objectives as formulas: one copy, shown in every language.
DCGAN_LOSS = r"""$$L_D = -\mathbb{E}_x\left[\log \sigma(D(x))\right] - \mathbb{E}_z\left[\log\left(1 - \sigma(D(G(z)))\right)\right]
\qquad L_G = -\mathbb{E}_z\left[\log \sigma(D(G(z)))\right]$$"""
WGAN_LOSS = r"""$$L_D = \mathbb{E}_z\left[D(G(z))\right] - \mathbb{E}_x\left[D(x)\right] \qquad L_G = -\mathbb{E}_z\left[D(G(z))\right]
\qquad w \leftarrow \operatorname{clip}(w, -c, c),\ c = 0.01$$"""
WGAN_GP_LOSS = r"""$$L_D = \mathbb{E}_z\left[D(G(z))\right] - \mathbb{E}_x\left[D(x)\right]
+ \lambda\, \mathbb{E}_{\hat x}\left[\left(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1\right)^2\right],
\quad \hat x = \epsilon x + (1 - \epsilon)\, G(z),\ \epsilon \sim U[0, 1],\ \lambda = 10$$"""

EN: dict[str, str] = {
    # page
    "intro": "# FaceGAN studio\nDCGAN, WGAN and WGAN-GP face generators, side by side. Same seed, same faces.",
    "no_models": "## No generator found\nPut exported `*.safetensors` generators in `checkpoints/` (train one with "
                 "`python train.py --mode dcgan --data DIR`), point the app at another folder with `--checkpoints DIR` / "
                 "`FACEGAN_CHECKPOINTS`, or name a Hub model repo in `FACEGAN_HUB_REPO`.",
    "notice.no_folder": "⚠️ Checkpoint folder not found: {path}",
    "notice.hub": "⚠️ {error}; serving the local checkpoints only.",
    "notice.problem": "⚠️ {problem}",
    # tabs
    "tab.samples": "Samples",
    "tab.interpolation": "Interpolation",
    "tab.compare": "Compare",
    "tab.edit": "Edit",
    "tab.about": "About the models",
    # Samples
    "model": "Model",
    "seed": "Seed",
    "random_seed": "🎲 Random seed",
    "faces": "Faces",
    "truncation": "Truncation (scale of z)",
    "samples": "Samples",
    "native": "Native pixels, to download",
    "native_grid": "Native grid",
    # Interpolation
    "seed_a": "Seed A",
    "seed_b": "Seed B",
    "path": "Path",
    "t": "t (A → B)",
    "face_at_t": "Face at t",
    "frames": "Frames in the strip",
    "strip": "A → B",
    "gif": "Animated GIF of the walk (native resolution)",
    # Compare
    "faces_per_model": "Faces per model",
    "same_latents": "Same latents, every model",
    "caption": "{name}: {facts}",
    "caption.steps": "{steps:,} steps",
    "caption.images": "{millions:.1f}M images",
    "caption.fid": "FID {fid:.1f}, KID {kid:.3f}",
    "caption.prdc": "precision {precision:.2f}, recall {recall:.2f}, density {density:.2f}, coverage {coverage:.2f}",
    # Edit
    "age": "Age (≈ years)",
    "age_info": "Where the fitted line puts the face; drag to make it older or younger",
    "gender": "Gender (← male · female →)",
    "gender_info": "Steps along the gender direction, in units of z's spread; 0 is the face as generated",
    "conditional": "Keep the other attribute fixed",
    "conditional_info": "Move along each direction with the other projected out (InterFaceGAN's conditional edit)",
    "walk_along": "Walk shown below",
    "along.age": "Age",
    "along.gender": "Gender",
    "edited": "Edited face",
    "edit_walk": "The walk, −3 to +3 steps",
    "edit.honesty": "**What the sliders mean.** Age and gender are UTKFace's own annotations: age in years, and "
                    "gender as a binary label (male / female) as annotated; the race label is not used. A small CNN "
                    "trained on those labels scored each model's generated faces, and a linear model over z gave each "
                    "direction (InterFaceGAN, Shen et al. 2020). The sliders move what that predictor sees, errors "
                    "included, and can carry along whatever goes with age or gender in the photos (hair, glasses, light).",
    "edit.reading": "Fitted line: **≈ {years:.0f} years** · fitted classifier: P(female) **{female:.2f}**",
    "edit.errors": "The predictor behind these numbers, on held-out UTKFace faces: age off by {mae:.1f} years on "
                   "average (by age band: {bands}); gender as annotated, {accuracy:.1%} right.",
    # About
    "about.curves": "{name}: training curves",
    "about.progress": "{name}: fixed noise along the run (generator step)",
    "fact.mode": "mode",
    "fact.architecture": "architecture",
    "fact.architecture_value": "nz={nz}, ngf={ngf}, ndf={ndf}, {size}×{size}, critic norm: {norm}",
    "fact.dataset": "trained on",
    "fact.dataset_value": "{dataset} ({size:,} images)",
    "fact.steps": "generator steps",
    "fact.images_seen": "real images seen",
    "fact.batch_size": "batch size",
    "fact.train_time": "training time",
    "fact.train_time_value": "{seconds:.0f} s on {device}",
    "fact.exported": "exported",
    "fact.metrics": "FID / KID",
    "fact.metrics_value": "{fid:.2f} / {kid:.4f} ± {kid_std:.4f} ({num:,} samples vs {reference})",
    "fact.prdc": "precision / recall / density / coverage",
    "fact.prdc_value": "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f} ({num:,} samples vs "
                       "{reference_size:,} images of {reference}; k = {k_pr} / {k_dc})",
    "fact.prdc_floor": "; real vs real at the same sizes: "
                       "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}",
    "fact.recipe": "recipe",
    "fact.editing": "editing",
    "fact.editing_value": "on {samples:,} unseen faces, age walk −3→+3: {age_change:+.1f} years, "
                          "P(female) drift {female_drift:.2f}; gender walk: {flipped:.0%} flipped, "
                          "age drift {age_drift:.1f} years",
    "about.objectives": r"""## How the three differ

All three train a generator $G$ that maps noise $z \sim \mathcal{N}(0, I)$ to a face against a critic $D$
that scores images; they differ in what $D$ is asked to do and how it is kept in check
($x$: a real face, $\sigma$: the sigmoid).

**DCGAN**: $D$ is a classifier. Its score becomes a probability through a sigmoid and both
networks minimise binary cross-entropy (the generator's non-saturating form):

""" + DCGAN_LOSS + r"""

**WGAN**: $D$ is a critic with an unbounded score whose gap between real and generated faces
estimates the Wasserstein distance. That needs $D$ to be 1-Lipschitz, enforced crudely by
clipping every weight after each critic step:

""" + WGAN_LOSS + r"""

**WGAN-GP**: the same critic and generator losses, with the Lipschitz constraint as a gradient
penalty on random mixes of real and generated faces instead of clipping:

""" + WGAN_GP_LOSS + r"""
""",
    # messages (server-side)
    "field.seed": "seed",
    "field.seed_a": "seed A",
    "field.seed_b": "seed B",
    "field.faces": "number of faces",
    "field.frames": "number of frames",
    "field.truncation": "truncation",
    "field.t": "t",
    "field.age": "age",
    "field.age_steps": "age steps",
    "field.gender_steps": "gender steps",
    "msg.empty": "The {field} is empty: enter a number.",
    "msg.not_number": "The {field} must be a number, not {value!r}.",
    "msg.not_finite": "The {field} must be a finite number, not {value!r}.",
    "msg.clamped": "The {field} {value} was changed to {fixed} (allowed: {low}–{high}).",
    "msg.clamped_whole": "The {field} {value} was changed to {fixed} (allowed: {low}–{high}, whole numbers).",
    "msg.unknown_model": "Unknown model {name!r}; loaded: {loaded}.",
    "msg.bad_method": "Interpolation must be 'slerp' or 'lerp', not {method!r}.",
    "msg.no_directions": "{name} has no edit directions yet: run python -m facegan.editing fit on its weights file.",
}

ZH: dict[str, str] = {
    "intro": "# FaceGAN 工作室\nDCGAN、WGAN 与 WGAN-GP 人脸生成器并排对比。同一种子，同一批人脸。",
    "no_models": "## 未找到生成器\n请把导出的 `*.safetensors` 生成器放进 `checkpoints/`（用 "
                 "`python train.py --mode dcgan --data DIR` 训练一个），或用 `--checkpoints DIR` / "
                 "`FACEGAN_CHECKPOINTS` 指向其他文件夹，或在 `FACEGAN_HUB_REPO` 中指定 Hub 模型仓库。",
    "notice.no_folder": "⚠️ 未找到检查点文件夹：{path}",
    "notice.hub": "⚠️ {error}；仅提供本地检查点。",
    "notice.problem": "⚠️ {problem}",
    "tab.samples": "样本",
    "tab.interpolation": "插值",
    "tab.compare": "对比",
    "tab.about": "关于模型",
    "model": "模型",
    "seed": "随机种子",
    "random_seed": "🎲 随机种子",
    "faces": "人脸数量",
    "truncation": "截断（z 的缩放）",
    "samples": "样本",
    "native": "原始像素（供下载）",
    "native_grid": "原始尺寸网格",
    "seed_a": "种子 A",
    "seed_b": "种子 B",
    "path": "路径",
    "t": "t（A → B）",
    "face_at_t": "t 处的人脸",
    "frames": "条带中的帧数",
    "strip": "A → B",
    "gif": "插值过程的 GIF 动画（原始分辨率）",
    "faces_per_model": "每个模型的人脸数",
    "same_latents": "同一组潜向量，每个模型",
    "caption": "{name}：{facts}",
    "caption.steps": "{steps:,} 步",
    "caption.images": "{millions:.1f}M 张图像",
    "caption.fid": "FID {fid:.1f}，KID {kid:.3f}",
    "caption.prdc": "精确率 {precision:.2f}，召回率 {recall:.2f}，密度 {density:.2f}，覆盖率 {coverage:.2f}",
    "about.curves": "{name}：训练曲线",
    "about.progress": "{name}：训练过程中固定噪声的生成结果（生成器步数）",
    "fact.mode": "模式",
    "fact.architecture": "网络结构",
    "fact.architecture_value": "nz={nz}，ngf={ngf}，ndf={ndf}，{size}×{size}，判别器归一化：{norm}",
    "fact.dataset": "训练数据",
    "fact.dataset_value": "{dataset}（{size:,} 张图像）",
    "fact.steps": "生成器步数",
    "fact.images_seen": "见过的真实图像数",
    "fact.batch_size": "批大小",
    "fact.train_time": "训练时间",
    "fact.train_time_value": "{seconds:.0f} 秒，设备 {device}",
    "fact.exported": "导出",
    "fact.metrics": "FID / KID",
    "fact.metrics_value": "{fid:.2f} / {kid:.4f} ± {kid_std:.4f}（{num:,} 个样本，参照 {reference}）",
    "fact.prdc": "精确率 / 召回率 / 密度 / 覆盖率",
    "fact.prdc_value": "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}（{num:,} 个样本，"
                       "参照 {reference} 的 {reference_size:,} 张图像；k = {k_pr} / {k_dc}）",
    "fact.prdc_floor": "；同样规模下真实对真实：{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}",
    "fact.recipe": "训练配方",
    "about.objectives": r"""## 三者有何不同

三者都训练一个生成器 $G$，把噪声 $z \sim \mathcal{N}(0, I)$ 映射成人脸，并与给图像打分的判别器（critic）$D$
对抗；区别在于要求 $D$ 做什么、以及如何约束它（$x$：真实人脸，$\sigma$：sigmoid 函数）。

**DCGAN**：$D$ 是分类器。它的分数经 sigmoid 变成概率，两个网络都最小化二元交叉熵（生成器用不饱和形式）：

""" + DCGAN_LOSS + r"""

**WGAN**：$D$ 是分数无界的评判器，真实与生成人脸的分数差估计 Wasserstein 距离。这要求 $D$ 满足
1-Lipschitz 条件，做法很粗糙：每次判别器更新后把每个权重裁剪到区间内：

""" + WGAN_LOSS + r"""

**WGAN-GP**：判别器与生成器的损失同 WGAN，但 Lipschitz 约束改为在真实与生成人脸的随机混合上施加梯度惩罚，而不是裁剪权重：

""" + WGAN_GP_LOSS + r"""
""",
    "field.seed": "随机种子",
    "field.seed_a": "种子 A",
    "field.seed_b": "种子 B",
    "field.faces": "人脸数量",
    "field.frames": "帧数",
    "field.truncation": "截断值",
    "field.t": "t",
    "msg.empty": "{field}为空：请输入一个数字。",
    "msg.not_number": "{field}必须是数字，而不是 {value!r}。",
    "msg.not_finite": "{field}必须是有限的数字，而不是 {value!r}。",
    "msg.clamped": "{field} {value} 已改为 {fixed}（允许范围：{low}–{high}）。",
    "msg.clamped_whole": "{field} {value} 已改为 {fixed}（允许范围：{low}–{high}，须为整数）。",
    "msg.unknown_model": "未知模型 {name!r}；已加载：{loaded}。",
    "msg.bad_method": "插值方式必须是 'slerp' 或 'lerp'，而不是 {method!r}。",
    "tab.edit": "编辑",
    "age": "年龄（≈ 岁）",
    "age_info": "拟合直线给出的年龄；拖动使人脸变老或变年轻",
    "gender": "性别（← 男 · 女 →）",
    "gender_info": "沿性别方向移动的步数（以 z 在该方向上的标准差为单位）；0 为原始生成的人脸",
    "conditional": "保持另一属性不变",
    "conditional_info": "沿去除了另一方向分量的方向移动（InterFaceGAN 的条件编辑）",
    "walk_along": "下方展示的路径",
    "along.age": "年龄",
    "along.gender": "性别",
    "edited": "编辑后的人脸",
    "edit_walk": "路径：−3 到 +3 步",
    "edit.honesty": "**滑块的含义。** 年龄和性别是 UTKFace 数据集自带的标注：年龄以岁计，性别为按原标注的二元标签"
                    "（男 / 女）；种族标签未被使用。一个用这些标注训练的小型 CNN 为每个模型的生成人脸打分，再用 z 上的"
                    "线性模型得到各个方向（InterFaceGAN，Shen 等，2020）。滑块改变的是该预测器所看到的属性，包括它的误差，"
                    "也可能连带改变照片中与年龄或性别相关的特征（头发、眼镜、光照）。",
    "edit.reading": "拟合直线：**≈ {years:.0f} 岁** · 拟合分类器：P(女) **{female:.2f}**",
    "edit.errors": "这些数字背后的预测器在留出的 UTKFace 人脸上：年龄平均误差 {mae:.1f} 岁（按年龄段：{bands}）；"
                   "按标注的性别正确率 {accuracy:.1%}。",
    "fact.editing": "编辑",
    "fact.editing_value": "在 {samples:,} 张未用于拟合的人脸上，年龄路径 −3→+3：{age_change:+.1f} 岁，"
                          "P(女) 漂移 {female_drift:.2f}；性别路径：{flipped:.0%} 翻转，年龄漂移 {age_drift:.1f} 岁",
    "field.age": "年龄",
    "field.age_steps": "年龄步数",
    "field.gender_steps": "性别步数",
    "msg.no_directions": "{name} 还没有编辑方向：请对其权重文件运行 python -m facegan.editing fit。",
}

# Language code → strings. "zh" also covers zh-CN, zh-SG… (the browser falls back from zh-CN to zh).
STRINGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
DEFAULT = "en"
LAUNCH_I18N = gr.I18n(**{lang: dict(texts) for lang, texts in STRINGS.items()})  # copies: localized() adds keys


def t(key: str) -> gr.i18n.I18nData:
    """A static text the browser shows in its own language."""
    if key not in EN:
        raise KeyError(f"no string {key!r} in facegan.i18n")
    return LAUNCH_I18N(key)


def text(key: str, lang: str = DEFAULT, **values) -> str:
    """The string in lang (English where lang has none), with values filled in."""
    return STRINGS.get(lang, EN).get(key, EN[key]).format(**values)


def localized(render: Callable[[str], str]) -> gr.i18n.I18nData:
    """A static text built from values (a facts table), rendered in every language.

    Registered under a key derived from its content, so two apps in one process never clash.
    """
    texts = {lang: render(lang) for lang in STRINGS}
    key = "auto." + hashlib.sha1("\x00".join(texts.values()).encode()).hexdigest()[:16]
    for lang, rendered in texts.items():
        LAUNCH_I18N.translations[lang][key] = rendered
    return LAUNCH_I18N(key)


def phrase(key: str, **values) -> gr.i18n.I18nData:
    """A static text with values filled in: `localized` for one string."""
    return localized(lambda lang: text(key, lang, **values))


def language(request: gr.Request | None) -> str:
    """The request's language from its Accept-Language header: the first one we speak."""
    header = (request.headers.get("accept-language", "") if request is not None else "") or ""
    for part in header.split(","):
        primary = part.split(";")[0].strip().split("-")[0].lower()
        if primary in STRINGS:
            return primary
    return DEFAULT
