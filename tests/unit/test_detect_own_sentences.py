"""Our own varied sentences for the AI-training detector, none taken from the dev set.

They are written to probe the hard cases issue 3 lists: paraphrases that avoid "train",
direction (AI used on data vs data used for AI), negation scope, conditionals, restrictions on
users and third parties, other senses of "model" and "train", and licensing. The accuracy over
CASES is also printed by ``benchmarks/detector_eval.py``; the test requires at least 95 %.

Each case: (text, label, expected category or None). label 1 = AI-training permission/control.
"""

from __future__ import annotations

import pytest

from monitor.detect import classify

TP, OO, LI, FE, NA = (
    "training-permission",
    "opt-out",
    "licensing-to-third-parties",
    "ai-feature-use-not-training",
    "not-ai",
)

CASES: list[tuple[str, int, str | None]] = [
    # --- permissions, explicit and paraphrased
    (
        "We use the photos and videos you upload to train and improve our image recognition models.",
        1,
        TP,
    ),
    (
        "Your conversations with our assistant may be reviewed and used to improve our machine learning systems.",
        1,
        TP,
    ),
    (
        "We may use the content you create on the platform to develop the technologies that power our generative AI features.",
        1,
        TP,
    ),
    (
        "Our engineers build and refine our algorithms based on the searches you perform and the links you click.",
        1,
        TP,
    ),
    ("Messages you send to the chatbot help make future versions better for everyone.", 1, TP),
    ("We rely on your feedback and ratings to improve our machine learning.", 1, TP),
    ("Customer support transcripts may be used as training data for our language models.", 1, TP),
    ("We process publicly available posts to fine-tune large language models.", 1, TP),
    (
        "Voice recordings you share with the assistant are used to teach our speech recognition systems to understand accents.",
        1,
        TP,
    ),
    (
        "Information you provide may be used to develop new artificial intelligence models and services.",
        1,
        TP,
    ),
    (
        "Our AI models learn from the questions you ask, so your prompts help them get smarter.",
        1,
        TP,
    ),
    ("We may use de-identified usage data to train our recommendation models.", 1, TP),
    ("When you rate a response, we use that rating to improve the model.", 1, TP),
    ("By posting content, you allow us to use it to train our AI systems.", 1, TP),
    ("Your data helps us build and improve our AI products.", 1, TP),
    (
        "We may use your listening history to train algorithms that personalise recommendations.",
        1,
        TP,
    ),
    ("Data collected through the app is used for model training and evaluation.", 1, TP),
    (
        "Photos you share publicly may be included in the datasets used to train our image generation models.",
        1,
        TP,
    ),
    (
        "Interactions with our AI characters help us improve the underlying large language models.",
        1,
        TP,
    ),
    (
        "We use data from your use of the Services to develop and improve our machine learning models.",
        1,
        TP,
    ),
    (
        "We may use the information you provide to Gemini to improve Google products and machine learning technologies.",
        1,
        TP,
    ),
    (
        "Your Content may be used to train, test and improve the artificial intelligence that powers our features.",
        1,
        TP,
    ),
    (
        "Recordings of calls with our virtual agent may be used to train and improve the agent.",
        1,
        TP,
    ),
    ("We use the content of public pages to build training datasets for our AI.", 1, TP),
    ("We may analyse the posts you publish to build and train new AI features.", 1, TP),
    ("Depending on your settings, your interactions may be used to fine-tune our models.", 1, TP),
    (
        "Unless you have objected, we use public information from adult users to improve our AI.",
        1,
        TP,
    ),
    ("Uploaded documents may be used to refine the neural networks behind our search.", 1, TP),
    (
        "The information we collect helps us teach our systems to recognise objects in images, which requires training our models.",
        1,
        TP,
    ),
    # --- negation with an exception stays a (conditional) permission
    ("We do not use your drafts to train our models unless you submit them as feedback.", 1, TP),
    (
        "Your chats are not used to improve our AI, except when you report a conversation to us.",
        1,
        TP,
    ),
    # --- controls
    (
        "You can opt out of having your posts used to train our AI models at any time in your privacy settings.",
        1,
        OO,
    ),
    (
        "To stop us from using your chats to improve our models, turn off the Chat History setting.",
        1,
        OO,
    ),
    (
        "You have the right to object to our use of your personal data for the development of AI models.",
        1,
        OO,
    ),
    ("If you opt out, your future conversations will not be used to train our models.", 1, OO),
    (
        "Go to Settings to control whether your content is used to improve our generative models.",
        1,
        OO,
    ),
    (
        "We will not use your uploads to train our generative models unless you turn on the Improve Our AI setting.",
        1,
        OO,
    ),
    (
        "You may withdraw your consent to the use of your recordings for improving speech recognition at any time.",
        1,
        OO,
    ),
    ("Allow my content to be used for AI model training", 1, OO),
    # --- licensing to others
    (
        "We may license user content to third-party companies that use it to train their artificial intelligence models.",
        1,
        LI,
    ),
    (
        "Your public posts may be shared with our partners for the purpose of training their large language models.",
        1,
        LI,
    ),
    (
        "We may provide access to public content to research institutions and AI developers to train machine learning models.",
        1,
        LI,
    ),
    (
        "We share certain member data with our parent company so that it can train and improve its AI models.",
        1,
        LI,
    ),
    (
        "You grant us and our licensees a worldwide licence to use Your Content, including to train AI and machine learning models.",
        1,
        None,
    ),
    # --- AI used as a tool on data (no training)
    ("We use machine learning to detect spam and fraudulent accounts.", 0, FE),
    ("Our AI assistant can summarise your documents and draft replies for you.", 0, FE),
    (
        "Automated systems powered by artificial intelligence review posts for violations of our Community Standards.",
        0,
        FE,
    ),
    ("We use algorithms to rank the content in your feed.", 0, FE),
    ("With your permission, the AI feature analyses your photos to suggest albums.", 0, FE),
    ("AI-generated answers may be inaccurate, so please verify important information.", 0, FE),
    ("We use AI to improve our services and personalise your experience.", 0, FE),
    ("Our support team uses generative AI tools to help respond to your questions faster.", 0, FE),
    ("Translations are produced by machine learning and may contain errors.", 0, FE),
    (
        "We use artificial intelligence to help us develop personalised recommendations for you.",
        0,
        FE,
    ),
    ("Our machine learning models help us improve the relevance of the ads you see.", 0, FE),
    ("We are continuously improving our services with the help of AI.", 0, FE),
    (
        "Our AI features are built on third-party models, and your prompts are not retained by those providers.",
        0,
        None,
    ),
    ("Meta AI can answer questions, create images and help you plan trips.", 0, FE),
    ("Learn more about how we use AI in our products.", 0, FE),
    # --- negations (promises)
    ("We do not use your private messages to train our AI models.", 0, NA),
    ("Content from business customers is never used to train our foundation models.", 0, NA),
    ("We don't sell your personal data or use it to develop artificial intelligence.", 0, NA),
    (
        "Your files stay private: we will not use them to improve any machine learning models.",
        0,
        NA,
    ),
    ("No customer data is used for model training.", 0, NA),
    (
        "Our models are trained on licensed and public domain datasets, not on customer data.",
        0,
        None,
    ),
    # --- restrictions on users and on third parties
    (
        "You may not use the Services or any output to train a competing machine learning model.",
        0,
        NA,
    ),
    (
        "You agree not to scrape the Services to build datasets for training artificial intelligence systems.",
        0,
        NA,
    ),
    ("Users must not use content obtained from our platform to develop AI models.", 0, NA),
    ("We contractually prohibit our vendors from using your data to train their models.", 0, NA),
    ("Customers are prohibited from using the API to train large language models.", 0, NA),
    # --- other senses of model / train
    ("We train our staff to handle your personal data securely.", 0, NA),
    ("Our customer service representatives receive regular training on data protection.", 0, NA),
    ("We collect your device model, operating system version and browser type.", 0, NA),
    (
        "Transfers outside the EEA are protected by the European Commission's standard model clauses.",
        0,
        NA,
    ),
    ("Our business model relies on advertising revenue rather than selling your data.", 0, NA),
    ("We may record calls for quality and training purposes.", 0, NA),
    ("Uploaded 3D models remain your property.", 0, NA),
    ("Coaches and trainers can view the workout data you share with them.", 0, NA),
    ("Be a role model for the community by following these guidelines.", 0, NA),
    (
        "Members can enrol in training courses on artificial intelligence through our learning platform.",
        0,
        None,
    ),
    ("These models are trained by experts using a curated collection of licensed books.", 0, None),
    # --- AI products that users train themselves
    ("Developers can train their own models on their data using our platform.", 0, FE),
    ("The service lets customers fine-tune custom models with their own documents.", 0, FE),
    # --- unrelated
    ("We use cookies to remember your preferences.", 0, NA),
    ("You can delete your account at any time.", 0, NA),
    ("We improve our services by analysing how people use them.", 0, NA),
    ("We develop new features based on feedback from our community.", 0, NA),
    ("We may share your information with affiliates to provide and develop their services.", 0, NA),
    (
        "We may use aggregated statistics about how people use our AI features to plan new products.",
        0,
        None,
    ),
    # --- second batch, written after the first rules were in place (first run: 36/40)
    (
        "We may use the content of your reviews, including text and images, to train artificial intelligence that helps other travellers plan trips.",
        1,
        None,
    ),
    (
        "Snapchat may use your public Stories and Spotlight submissions to improve its generative AI tools.",
        1,
        None,
    ),
    (
        "Your interactions with My AI, including messages you send, may be used to improve Snap's products and to train our models.",
        1,
        None,
    ),
    (
        "We leverage the information we collect to develop proprietary machine-learning algorithms.",
        1,
        None,
    ),
    (
        "The text you enter into the writing assistant may be retained and used to enhance the performance of our AI.",
        1,
        None,
    ),
    (
        "We may aggregate and anonymise your data and use it to improve our predictive models.",
        1,
        None,
    ),
    (
        "Anonymised transaction records help us refine the fraud-detection models that protect all users.",
        1,
        None,
    ),
    (
        "Zoom does not use any of your audio, video, chat, screen sharing, attachments or other communications-like Customer Content to train Zoom or third-party artificial intelligence models.",
        0,
        None,
    ),
    (
        "We will never sell your content to AI companies or allow them to use it for training.",
        0,
        None,
    ),
    (
        "You must not use any data mining, robots or similar data gathering methods, or use the service to develop any machine learning model.",
        0,
        None,
    ),
    (
        "Content you upload may be analysed by automated tools, including machine learning, to identify copyright infringement.",
        0,
        None,
    ),
    ("We use large language models to generate summaries of long threads for you.", 0, None),
    ("If you enable Smart Compose, machine learning suggests words as you type.", 0, None),
    ("You retain ownership of the outputs generated by our AI features.", 0, None),
    (
        "We partner with OpenAI to provide the chatbot; OpenAI does not use your conversations to train its models.",
        0,
        None,
    ),
    ("Our model release form must be signed by anyone who appears in your photos.", 0, None),
    ("Select your phone model from the list to see compatible accessories.", 0, None),
    ("We offer training and certification programs for developers building with AI.", 0, None),
    ("Employees complete annual privacy training.", 0, None),
    (
        "We may share de-identified data with research partners, who may use it to build and validate their machine learning models.",
        1,
        None,
    ),
    (
        "We may sell or license anonymised datasets derived from user content to companies developing AI systems.",
        1,
        None,
    ),
    (
        "You can choose whether your recordings are reviewed by humans and used to improve voice recognition in the Alexa privacy settings.",
        1,
        None,
    ),
    (
        "To request that we stop using your personal information to train our models, submit an objection form.",
        1,
        None,
    ),
    (
        "Turning off 'Improve AI for everyone' prevents new chats from being used for training.",
        1,
        None,
    ),
    ("Enterprise customers' data is excluded from model training by default.", 0, None),
    ("We do not train on your business data without your permission.", 1, None),
    ("Notion AI does not train on your workspace content.", 0, None),
    ("AI-generated content must be labelled as such when you post it.", 0, None),
    ("We will notify you before we start using your information to train AI models.", 1, None),
    (
        "Starting next month, we will begin using public posts from adults in the EU to train our AI models.",
        1,
        None,
    ),
    ("Posts in private groups are not included in the data used to train our AI.", 0, None),
    ("The assistant uses a model that was pre-trained by a third party.", 0, None),
    ("Model training is performed on servers located in the United States.", 1, None),
    ("We use the results of surveys to develop our training programs for drivers.", 0, None),
    (
        "Our recommendations rely on machine learning models trained on aggregate listening patterns.",
        1,
        None,
    ),
    ("Please do not upload content that you do not want analysed by our AI.", 0, None),
    (
        "We may use your prompts and the generated outputs to evaluate and improve the safety of our models.",
        1,
        None,
    ),
    (
        "Information about your device, such as hardware model and operating system, is collected automatically.",
        0,
        None,
    ),
    (
        "We and our service providers may use machine learning to help detect suspicious logins.",
        0,
        None,
    ),
    (
        "By uploading artwork you grant the platform a license to use it to create and improve its generative models.",
        1,
        None,
    ),
    # --- third batch, written after the replay work and run once (first run: 28/30)
    (
        "We may use Customer Data to train, retrain, or otherwise improve the machine learning models that power the Service.",
        1,
        None,
    ),
    ("Slack's global models are not trained on customer message content.", 0, None),
    (
        "Zoom may use Service Generated Data to improve our artificial intelligence and machine learning capabilities.",
        1,
        None,
    ),
    ("Adobe does not train Firefly generative AI models on customer content.", 0, None),
    (
        "Photos you upload to Lens may be used to improve Google's visual recognition technology.",
        1,
        None,
    ),
    (
        "Your voice inputs are processed locally on your device and are not sent to our servers.",
        0,
        None,
    ),
    (
        "We may use information about your listening habits to build recommendation algorithms.",
        1,
        None,
    ),
    (
        "Grok may use your posts, interactions, inputs and results to train and fine-tune its models.",
        1,
        None,
    ),
    (
        "You can disable the use of your public data for Grok training in your Privacy & Safety settings.",
        1,
        None,
    ),
    (
        "Automated decision-making, including profiling, is used to assess your creditworthiness.",
        0,
        None,
    ),
    (
        "Our developers use open-source language models that were trained by other organisations.",
        0,
        None,
    ),
    (
        "We may combine your data with data from partners to train models that predict which ads you will click.",
        1,
        None,
    ),
    (
        "Transcripts of support calls may be used to evaluate and improve our virtual assistant.",
        1,
        None,
    ),
    ("We do not allow third parties to use your data to train their AI models.", 0, None),
    (
        "Except where you have given consent, we do not use your health data to train our models.",
        1,
        None,
    ),
    ("We use the aggregated results of A/B tests to improve our website design.", 0, None),
    ("The Spotify DJ uses generative AI to introduce songs with a realistic voice.", 0, None),
    ("We retain chats for 30 days to monitor for abuse, after which they are deleted.", 0, None),
    (
        "Members' public profile data may be shared with research institutions to develop large language models.",
        1,
        None,
    ),
    ("Please don't share sensitive information in your conversations with the assistant.", 0, None),
    ("Information collected via cookies helps us understand how visitors use the site.", 0, None),
    (
        "Our models are continuously trained using anonymised interactions from users who have opted in.",
        1,
        None,
    ),
    ("Our content moderation team is trained to identify harmful content.", 0, None),
    (
        "We use AI models provided by third parties, which do not retain your data or use it for training.",
        0,
        None,
    ),
    (
        "To build better products, we may use de-identified information to develop new features, including AI features.",
        1,
        None,
    ),
    (
        "Your images are scanned by automated systems to detect child sexual abuse material.",
        0,
        None,
    ),
    (
        "We may use your comments and reactions as examples when teaching our models what content people find helpful.",
        1,
        None,
    ),
    (
        "When you use the Imagine feature, the prompts you enter and the images it creates are used to improve Imagine.",
        1,
        None,
    ),
    ("Learn how to manage your data for AI in the Privacy Center.", 1, None),
    (
        "Employees may use approved generative AI tools to help draft documents, subject to our internal policies.",
        0,
        None,
    ),
]

CONTEXT_CASES: list[tuple[str, tuple[str, ...], int, str | None]] = [
    # a list item that only means training data under its lead-in
    (
        "Public posts and comments from adult accounts",
        (
            "How we train our AI",
            "We use the following information to train and improve our AI models:",
        ),
        1,
        TP,
    ),
    # a bare control under an AI-training section
    (
        "You can opt out at any time in your account settings.",
        ("We may use your posts to train our generative AI models.",),
        1,
        OO,
    ),
    # a prohibition list
    (
        "using output from the services to develop machine learning models",
        ("Prohibited uses", "You must not do any of the following:"),
        0,
        NA,
    ),
    # the same item without the prohibition lead-in is no restriction, but names no user data
    (
        "Improve our AI technologies and support AI research",
        ("How we use your information", "We use the information we have to:"),
        1,
        TP,
    ),
    # unrelated section: context does not make a cookie sentence an AI clause
    (
        "We use cookies to remember your preferences.",
        ("How we use information for generative AI models",),
        0,
        None,
    ),
]


def own_accuracy() -> tuple[int, int, list[tuple[str, int, bool]]]:
    """(correct, total, misses) over CASES; used by the benchmark as well."""
    misses = []
    correct = 0
    for text, label, _cat in CASES:
        got = classify(text).ai_training
        if int(got) == label:
            correct += 1
        else:
            misses.append((text, label, got))
    return correct, len(CASES), misses


def test_own_sentences_cover_both_labels_and_enough_cases() -> None:
    assert len(CASES) >= 60
    assert sum(label for _, label, _ in CASES) >= 25
    assert sum(1 - label for _, label, _ in CASES) >= 25


def test_own_sentences_accuracy_at_least_95_percent() -> None:
    correct, total, misses = own_accuracy()
    print(f"own sentences: {correct}/{total} = {correct / total:.3f}")
    for text, label, got in misses:
        print(f"  MISS label={label} got={got}: {text}")
    assert correct / total >= 0.95, misses


@pytest.mark.parametrize(("text", "label", "category"), [c for c in CASES if c[2] is not None])
def test_own_sentence_category(text: str, label: int, category: str) -> None:
    result = classify(text)
    if int(result.ai_training) != label:
        pytest.xfail("binary miss, counted by the accuracy test")
    assert result.category == category, result


@pytest.mark.parametrize(("text", "context", "label", "category"), CONTEXT_CASES)
def test_context_changes_the_reading(
    text: str, context: tuple[str, ...], label: int, category: str | None
) -> None:
    result = classify(text, context)
    assert int(result.ai_training) == label, result
    if category:
        assert result.category == category, result
