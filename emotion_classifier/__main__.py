from emotion_classifier.cli import main

raise SystemExit(main())
