package imageconfig

// Profile names the image checks among Rampart's own in control results:
// misconfig.Controls(Profile, Checks(), findings, reason).
const Profile = "image-config"
