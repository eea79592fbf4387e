-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "notificationSettings" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "Notification" (
    "id" SERIAL NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "actionUrl" TEXT,
    "createdMs" BIGINT NOT NULL,
    "readMs" BIGINT,
    "archivedMs" BIGINT,
    "expiresMs" BIGINT,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationFeed" (
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "unread" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 0,
    "lastEvent" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "NotificationFeed_pkey" PRIMARY KEY ("tenantId","recipient")
);

-- CreateTable
CREATE TABLE "NotificationEvent" (
    "tenantId" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "createdMs" BIGINT NOT NULL,

    CONSTRAINT "NotificationEvent_pkey" PRIMARY KEY ("tenantId","recipient","seq")
);

-- CreateTable
CREATE TABLE "NotificationSend" (
    "tenantId" INTEGER NOT NULL,
    "callerId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "bodyHash" TEXT NOT NULL,
    "response" TEXT NOT NULL,
    "createdMs" BIGINT NOT NULL,

    CONSTRAINT "NotificationSend_pkey" PRIMARY KEY ("tenantId","callerId","key")
);

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_createdMs_id_idx" ON "Notification"("tenantId", "recipient", "createdMs" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_readMs_createdMs_id_idx" ON "Notification"("tenantId", "recipient", "readMs", "createdMs" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Notification_tenantId_recipient_expiresMs_readMs_idx" ON "Notification"("tenantId", "recipient", "expiresMs", "readMs");

-- CreateIndex
CREATE INDEX "Notification_expiresMs_idx" ON "Notification"("expiresMs");

-- CreateIndex
CREATE INDEX "NotificationEvent_createdMs_idx" ON "NotificationEvent"("createdMs");

-- CreateIndex
CREATE INDEX "NotificationSend_createdMs_idx" ON "NotificationSend"("createdMs");
